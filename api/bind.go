package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
)

// bindJSON decodes the request body strictly into v: unknown fields,
// trailing data and bodies over the limit are client errors with a message
// naming what is wrong.
func bindJSON(c *gin.Context, v any) error {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nirnay.Errorf(nirnay.KindTooLarge, "request body is larger than %d bytes", mbe.Limit)
		}
		return nirnay.Errorf(nirnay.KindInvalid, "could not read the request body")
	}
	c.Set(ctxBody, body)
	return decodeStrict(body, v)
}

const ctxBody = "nirnay.body"

func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nirnay.Errorf(nirnay.KindInvalid, "request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return nirnay.Errorf(nirnay.KindInvalid, "invalid JSON: %s", jsonProblem(err))
	}
	if dec.More() {
		return nirnay.Errorf(nirnay.KindInvalid, "invalid JSON: data after the object")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing internals.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type.String())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of input"
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}
