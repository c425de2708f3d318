package mock

import (
	"encoding/base64"
	"encoding/binary"
	"math"
)

// encodeBase64 is OpenAI's base64 embedding encoding: little-endian float32s.
func encodeBase64(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return base64.StdEncoding.EncodeToString(b)
}
