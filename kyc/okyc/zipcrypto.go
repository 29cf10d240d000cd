package okyc

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"
)

// This file implements the traditional PKWARE encryption ("ZipCrypto",
// APPNOTE.TXT §6.1) that UIDAI uses to protect the offline e-KYC ZIP with
// the resident's share code, on top of archive/zip's raw-entry API
// (zip.File.OpenRaw and zip.Writer.CreateRaw): archive/zip itself neither
// encrypts nor decrypts. ZipCrypto is weak; here it only carries the share
// code, which the signed XML's hashes bind to the file as well.

// Errors of openEncrypted, mapped to Codes by the caller.
var (
	errNotEncrypted  = errors.New("entry is not password-protected")
	errUnsupported   = errors.New("unsupported compression method or encryption")
	errWrongPassword = errors.New("password does not decrypt the entry")
	errEntryTooLarge = errors.New("entry over the size limit")
)

const (
	zipFlagEncrypted      = 0x1
	zipFlagDataDescriptor = 0x8
	zipCryptoHeaderLen    = 12
)

// zipCipher holds the three 32-bit keys of the PKWARE stream cipher.
type zipCipher struct{ k0, k1, k2 uint32 }

func newZipCipher(password []byte) *zipCipher {
	c := &zipCipher{k0: 0x12345678, k1: 0x23456789, k2: 0x34567890}
	for _, b := range password {
		c.update(b)
	}
	return c
}

// crc32Byte is one step of the (unconditioned) CRC-32 register update.
func crc32Byte(crc uint32, b byte) uint32 {
	return crc32.IEEETable[byte(crc)^b] ^ crc>>8
}

// update mixes one plaintext byte into the keys.
func (c *zipCipher) update(b byte) {
	c.k0 = crc32Byte(c.k0, b)
	c.k1 = (c.k1+c.k0&0xff)*134775813 + 1
	c.k2 = crc32Byte(c.k2, byte(c.k1>>24))
}

// stream is the next keystream byte.
func (c *zipCipher) stream() byte {
	t := c.k2 | 2
	return byte((t * (t ^ 1)) >> 8)
}

func (c *zipCipher) decrypt(buf []byte) {
	for i, b := range buf {
		p := b ^ c.stream()
		c.update(p)
		buf[i] = p
	}
}

func (c *zipCipher) encrypt(buf []byte) {
	for i, p := range buf {
		k := c.stream()
		c.update(p)
		buf[i] = p ^ k
	}
}

// decryptReader decrypts the stream read through it.
type decryptReader struct {
	r io.Reader
	c *zipCipher
}

func (d *decryptReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.c.decrypt(p[:n])
	return n, err
}

// openEncrypted decrypts, decompresses and checks (CRC-32 and size) the
// ZipCrypto-protected entry f with password, reading at most max bytes of
// content. It returns errNotEncrypted, errUnsupported (AES or a method
// other than store and deflate), errWrongPassword (the header's check byte
// or, for the one wrong password in 256 that passes it, the CRC-32 does
// not match), errEntryTooLarge, or a read error of the archive.
func openEncrypted(f *zip.File, password []byte, max int64) ([]byte, error) {
	if f.Flags&zipFlagEncrypted == 0 {
		return nil, errNotEncrypted
	}
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return nil, errUnsupported
	}
	if f.UncompressedSize64 > uint64(max) {
		return nil, errEntryTooLarge
	}
	if f.CompressedSize64 < zipCryptoHeaderLen {
		return nil, errWrongPassword
	}
	raw, err := f.OpenRaw()
	if err != nil {
		return nil, err
	}
	c := newZipCipher(password)
	var header [zipCryptoHeaderLen]byte
	if _, err := io.ReadFull(raw, header[:]); err != nil {
		return nil, err
	}
	c.decrypt(header[:])
	if header[11] != checkByte(&f.FileHeader) {
		return nil, errWrongPassword
	}
	var content io.Reader = &decryptReader{r: raw, c: c}
	if f.Method == zip.Deflate {
		fr := flate.NewReader(content)
		defer fr.Close()
		content = fr
	}
	data, err := io.ReadAll(io.LimitReader(content, max+1))
	switch {
	case int64(len(data)) > max:
		return nil, errEntryTooLarge
	case err != nil, uint64(len(data)) != f.UncompressedSize64, crc32.ChecksumIEEE(data) != f.CRC32:
		// Right check byte but wrong content: a wrong password that passed
		// the one-byte check, or a damaged entry.
		return nil, errWrongPassword
	}
	return data, nil
}

// checkByte is the last byte of a correct encryption header: the high byte
// of the CRC-32, or of the MS-DOS modification time when the sizes and
// CRC follow the data in a data descriptor (APPNOTE §6.1.6, as Info-ZIP).
func checkByte(fh *zip.FileHeader) byte {
	if fh.Flags&zipFlagDataDescriptor != 0 {
		//lint:ignore SA1019 the raw MS-DOS time is what the check byte is made of.
		return byte(fh.ModifiedTime >> 8)
	}
	return byte(fh.CRC32 >> 24)
}

// writeEncrypted adds to zw one deflated entry holding data, protected with
// ZipCrypto under password. The 11 random bytes of the encryption header
// are read from random (the caller chooses: deterministic for sandbox
// files); its check byte is the high byte of the CRC-32.
func writeEncrypted(zw *zip.Writer, name string, modified time.Time, data, password []byte, random io.Reader) error {
	var compressed bytes.Buffer
	compressed.Write(make([]byte, zipCryptoHeaderLen)) // room for the header
	fw, err := flate.NewWriter(&compressed, flate.BestCompression)
	if err != nil {
		return err
	}
	if _, err := fw.Write(data); err != nil {
		return err
	}
	if err := fw.Close(); err != nil {
		return err
	}
	body := compressed.Bytes()
	crc := crc32.ChecksumIEEE(data)
	if _, err := io.ReadFull(random, body[:zipCryptoHeaderLen-1]); err != nil {
		return fmt.Errorf("encryption header: %w", err)
	}
	body[zipCryptoHeaderLen-1] = byte(crc >> 24)
	newZipCipher(password).encrypt(body)

	fh := &zip.FileHeader{
		Name:               name,
		Method:             zip.Deflate,
		Flags:              zipFlagEncrypted,
		CRC32:              crc,
		CompressedSize64:   uint64(len(body)),
		UncompressedSize64: uint64(len(data)),
	}
	setDOSTime(fh, modified)
	w, err := zw.CreateRaw(fh)
	if err != nil {
		return err
	}
	_, err = w.Write(body)
	return err
}

// setDOSTime sets fh's modification time to t as read on t's own clock
// (CreateRaw writes the MS-DOS fields as they are, and SetModTime would
// write them in UTC; a file made in India shows India's time).
func setDOSTime(fh *zip.FileHeader, t time.Time) {
	fh.Modified = t
	if t.Year() < 1980 || t.Year() > 2107 {
		return
	}
	//lint:ignore SA1019 CreateRaw writes the MS-DOS fields, not Modified.
	fh.ModifiedDate = uint16((t.Year()-1980)<<9 | int(t.Month())<<5 | t.Day())
	//lint:ignore SA1019 as above.
	fh.ModifiedTime = uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2)
}
