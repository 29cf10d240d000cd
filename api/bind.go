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
	body, err := readBody(c)
	if err != nil {
		return err
	}
	c.Set(ctxBody, body)
	return decodeStrict(body, v)
}

const ctxBody = "nirnay.body"

// bindOptional is bindJSON for a body that may be left out: without one,
// v keeps its zero value.
func bindOptional(c *gin.Context, v any) error {
	if c.Request.ContentLength == 0 {
		return nil
	}
	return bindJSON(c, v)
}

// bindReply is the handler of a JSON body: it decodes the body into a T
// (bindJSON), runs do with it and answers do's value with status, or its
// error as a problem (reply). A body that does not decode is answered
// without calling do.
func bindReply[T any](c *gin.Context, status int, do func(body T) (any, error)) {
	var body T
	if err := bindJSON(c, &body); err != nil {
		abort(c, err)
		return
	}
	v, err := do(body)
	reply(c, status, v, err)
}

// readBody reads the whole request body (any type): one over the route's
// limit is KindTooLarge, any other failure to read it KindInvalid.
func readBody(c *gin.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nirnay.Errorf(nirnay.KindTooLarge, "request body is larger than %d bytes", mbe.Limit)
		}
		return nil, nirnay.Errorf(nirnay.KindInvalid, "could not read the request body")
	}
	return body, nil
}

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
