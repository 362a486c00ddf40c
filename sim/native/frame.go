package native

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Frame header flags (spec section 2.2).
const (
	FlagCompression   byte = 0x01
	FlagTracing       byte = 0x02
	FlagCustomPayload byte = 0x04
	FlagWarning       byte = 0x08
	// FlagUseBeta must be set on frames of a beta version (v6 in 4.1,
	// Envelope.Header.Flag.USE_BETA); responses in it carry it too.
	FlagUseBeta byte = 0x10
)

// Protocol versions 4.1 supports (ProtocolVersion.SUPPORTED_VERSIONS): v6
// is "v6-beta" and needs FlagUseBeta. From v5 on, messages travel in
// checksummed segments once STARTUP is answered (see segment.go).
const (
	minVersion  byte = 3
	maxVersion  byte = 6
	betaVersion byte = 6
)

// HeaderLen is the size of a v3+ frame (envelope) header.
const HeaderLen = 9

// directionResponse is the version byte's high bit (spec section 2.1).
const directionResponse = 0x80

// Frame is one v3+ frame (a v5 "envelope"). Version excludes the
// direction bit.
type Frame struct {
	Version byte
	Flags   byte
	Stream  int16
	Opcode  Opcode
	Body    []byte
	// Response is set by ReadFrame when the direction bit was set.
	Response bool
}

// VersionError is returned by ReadFrame, after reading only the first
// byte, when the frame's version is not 3 to 6: v1/v2 headers are shorter,
// so the rest of the header may never come (Envelope.Decoder checks the
// version before waiting for a full header).
type VersionError struct{ Version byte }

func (e *VersionError) Error() string {
	return fmt.Sprintf("Invalid or unsupported protocol version (%d); supported versions are (%s)", e.Version, supportedVersionsList)
}

// supportedVersionsList is ProtocolVersion.supportedVersions() joined as in
// ProtocolVersion.invalidVersionMessage, for the versions this server has.
const supportedVersionsList = "3/v3, 4/v4, 5/v5, 6/v6-beta"

// supportedVersions is SUPPORTED's PROTOCOL_VERSIONS
// (ProtocolVersion.supportedVersions).
var supportedVersions = []string{"3/v3", "4/v4", "5/v5", "6/v6-beta"}

// BetaError is returned by ReadFrame, with the frame read, for a v6 frame
// without FlagUseBeta (Envelope.Decoder.decodeFlags).
type BetaError struct{ Frame Frame }

func (e *BetaError) Error() string {
	return fmt.Sprintf("Beta version of the protocol used (%s), but USE_BETA flag is unset", versionName(e.Frame.Version))
}

// FrameTooBigError is returned by ReadFrame when a frame's body exceeds the
// limit; the body has been read and discarded, so the stream stays in sync.
type FrameTooBigError struct {
	Frame  Frame // header only
	Length uint32
}

func (e *FrameTooBigError) Error() string {
	return fmt.Sprintf("frame body of %d bytes exceeds the limit", e.Length)
}

// ReadFrame reads one frame whose body is at most maxBody bytes.
func ReadFrame(r io.Reader, maxBody int) (Frame, error) {
	var h [HeaderLen]byte
	if _, err := io.ReadFull(r, h[:1]); err != nil {
		return Frame{}, err
	}
	v := h[0] &^ directionResponse
	if v < minVersion || v > maxVersion {
		return Frame{Version: v}, &VersionError{Version: v}
	}
	if _, err := io.ReadFull(r, h[1:]); err != nil {
		return Frame{}, unexpected(err)
	}
	f := Frame{
		Version:  v,
		Flags:    h[1],
		Stream:   int16(binary.BigEndian.Uint16(h[2:4])),
		Opcode:   Opcode(h[4]),
		Response: h[0]&directionResponse != 0,
	}
	// The length is read unsigned, as Envelope.Decoder does.
	n := binary.BigEndian.Uint32(h[5:9])
	if maxBody >= 0 && uint64(n) > uint64(maxBody) {
		if _, err := io.CopyN(io.Discard, r, int64(n)); err != nil {
			return Frame{}, unexpected(err)
		}
		return f, &FrameTooBigError{Frame: f, Length: n}
	}
	f.Body = make([]byte, n)
	if _, err := io.ReadFull(r, f.Body); err != nil {
		return Frame{}, unexpected(err)
	}
	if v == betaVersion && f.Flags&FlagUseBeta == 0 {
		return f, &BetaError{Frame: f}
	}
	return f, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// AppendFrame appends f's encoding, as a response (direction bit set).
func AppendFrame(b []byte, f Frame) []byte {
	if f.Version == betaVersion {
		f.Flags |= FlagUseBeta // Message.encode
	}
	b = append(b, f.Version|directionResponse, f.Flags)
	b = binary.BigEndian.AppendUint16(b, uint16(f.Stream))
	b = append(b, byte(f.Opcode))
	b = binary.BigEndian.AppendUint32(b, uint32(len(f.Body)))
	return append(b, f.Body...)
}

// WriteFrame writes f as a response frame (direction bit set).
func WriteFrame(w io.Writer, f Frame) error {
	_, err := w.Write(AppendFrame(make([]byte, 0, HeaderLen+len(f.Body)), f))
	return err
}

// appendLegacyFrame encodes a response for a v1/v2 client: their header
// has a one-byte stream id (Envelope.encodeHeader, CASSANDRA-11464).
func appendLegacyFrame(b []byte, version byte, stream int8, op Opcode, body []byte) []byte {
	b = append(b, version|directionResponse, 0, byte(stream), byte(op))
	b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
	return append(b, body...)
}
