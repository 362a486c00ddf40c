package native

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

// Protocol v5 "modern" framing (native_protocol_v5.spec section 2;
// net/FrameEncoderCrc.java, net/FrameDecoderCrc.java, net/Crc.java). Once
// a v5+ STARTUP has been answered, every envelope (what v4 calls a frame)
// travels inside segments:
//
//	header   3 bytes, little-endian: payload length (17 bits), then the
//	         self-contained flag (bit 17)
//	crc24    3 bytes, little-endian, of the 3 header bytes
//	payload  up to MaxSegmentPayload bytes
//	crc32    4 bytes, little-endian, of the payload
//
// A self-contained segment holds one or more whole envelopes; a larger
// envelope is cut into several segments that are not self-contained.
// Compression (the LZ4 segment format) is not implemented, as SUPPORTED
// advertises none.

const (
	// MaxSegmentPayload is the largest segment payload: 128 KiB - 1
	// (FrameEncoderCrc: "Maximum payload size is 128KiB").
	MaxSegmentPayload = 1<<17 - 1
	segmentHeaderLen  = 6
	segmentTrailerLen = 4
	selfContainedBit  = 1 << 17
)

// crc24 is Crc.crc24 over the low n bytes of v, least significant first
// (polynomial 0x1974F0B, initial value 0x875060).
func crc24(v uint64, n int) uint32 {
	crc := uint32(0x875060)
	for ; n > 0; n-- {
		crc ^= uint32(v&0xff) << 16
		v >>= 8
		for range 8 {
			crc <<= 1
			if crc&0x1000000 != 0 {
				crc ^= 0x1974F0B
			}
		}
	}
	return crc
}

// crc32Initial are the bytes Crc.crc32 feeds a fresh CRC32 first.
var crc32Initial = []byte{0xFA, 0x2D, 0x55, 0xCA}

// segmentCRC32 is Crc.crc32 over p.
func segmentCRC32(p []byte) uint32 {
	return crc32.Update(crc32.ChecksumIEEE(crc32Initial), crc32.IEEETable, p)
}

// AppendSegment appends one segment holding payload, which must be at
// most MaxSegmentPayload bytes.
func AppendSegment(b, payload []byte, selfContained bool) []byte {
	if len(payload) > MaxSegmentPayload {
		panic(fmt.Sprintf("native: segment payload of %d bytes", len(payload)))
	}
	h := uint32(len(payload))
	if selfContained {
		h |= selfContainedBit
	}
	crc := crc24(uint64(h), 3)
	b = append(b, byte(h), byte(h>>8), byte(h>>16), byte(crc), byte(crc>>8), byte(crc>>16))
	b = append(b, payload...)
	return binary.LittleEndian.AppendUint32(b, segmentCRC32(payload))
}

// AppendSegments appends envelope as one self-contained segment, or, when
// it does not fit in one, as non-self-contained segments of at most
// MaxSegmentPayload bytes each (CQLMessageHandler's large messages).
func AppendSegments(b, envelope []byte) []byte {
	if len(envelope) <= MaxSegmentPayload {
		return AppendSegment(b, envelope, true)
	}
	for len(envelope) > 0 {
		n := min(len(envelope), MaxSegmentPayload)
		b = AppendSegment(b, envelope[:n], false)
		envelope = envelope[n:]
	}
	return b
}

// CorruptSegmentError is a CRC mismatch. Header: the header's CRC24 (the
// payload length cannot be trusted), else the payload's CRC32. Cassandra
// closes the connection on either (CQLMessageHandler.processCorruptFrame).
type CorruptSegmentError struct {
	Header         bool
	Read, Computed uint32
}

func (e *CorruptSegmentError) Error() string {
	part := "body"
	if e.Header {
		part = "header"
	}
	// Java prints the CRCs as (signed) ints.
	return fmt.Sprintf("invalid, unrecoverable CRC mismatch detected in frame %s. Read %d, Computed %d", part, int32(e.Read), int32(e.Computed))
}

// ReadSegment reads one segment and checks both CRCs.
func ReadSegment(r io.Reader) (payload []byte, selfContained bool, err error) {
	var h [segmentHeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, false, err
	}
	hdr := uint32(h[0]) | uint32(h[1])<<8 | uint32(h[2])<<16
	read := uint32(h[3]) | uint32(h[4])<<8 | uint32(h[5])<<16
	if c := crc24(uint64(hdr), 3); c != read {
		return nil, false, &CorruptSegmentError{Header: true, Read: read, Computed: c}
	}
	n := int(hdr & MaxSegmentPayload)
	payload = make([]byte, n+segmentTrailerLen)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, false, unexpected(err)
	}
	read = binary.LittleEndian.Uint32(payload[n:])
	payload = payload[:n]
	if c := segmentCRC32(payload); c != read {
		return nil, false, &CorruptSegmentError{Read: read, Computed: c}
	}
	return payload, hdr&selfContainedBit != 0, nil
}

// envelopeError is an envelope that could not be taken from a segment:
// answered on its stream, then the connection goes on (its bytes were
// skipped) or, when fatal, is closed (CQLMessageHandler).
type envelopeError struct {
	stream int16
	err    *Error
	fatal  bool
}

func (e *envelopeError) Error() string { return e.err.Message }

// envelopeReader takes envelopes out of the segments of a v5+ connection.
type envelopeReader struct {
	r       io.Reader
	version byte // the connection's
	maxBody int
	pending []byte // the rest of a self-contained segment

	// A large message being assembled from segments.
	large    []byte
	largeHdr Frame
	largeLen int // header included
}

// next returns the next envelope. Errors are *CorruptSegmentError,
// *envelopeError, or the reader's.
func (er *envelopeReader) next() (Frame, error) {
	for len(er.pending) == 0 {
		p, self, err := ReadSegment(er.r)
		if err != nil {
			return Frame{}, err
		}
		switch {
		case self:
			// Contained messages are processed even between the segments
			// of a large one (AbstractMessageHandler.processIntactFrame).
			er.pending = p
		case er.large == nil:
			if f, err := er.firstOfLarge(p); err != nil || f.Body != nil {
				return f, err
			}
		default:
			er.large = append(er.large, p...)
			if len(er.large) >= er.largeLen {
				f := er.largeHdr
				f.Body = er.large[HeaderLen:er.largeLen]
				er.large = nil
				return f, nil
			}
		}
	}
	f, n, err := er.header(er.pending)
	if err != nil {
		if !err.fatal {
			er.pending = er.pending[min(len(er.pending), HeaderLen+n):]
		} else {
			er.pending = nil
		}
		return Frame{}, err
	}
	if HeaderLen+n > len(er.pending) {
		// composeRequest's ByteBuffer.position(end) past the limit.
		err := &envelopeError{stream: f.Stream, fatal: true, err: newError(ErrServer,
			"java.lang.IllegalArgumentException: newPosition > limit: (%d > %d)", HeaderLen+n, len(er.pending))}
		er.pending = nil
		return Frame{}, err
	}
	f.Body = clone(er.pending[HeaderLen : HeaderLen+n])
	er.pending = er.pending[HeaderLen+n:]
	return f, nil
}

// firstOfLarge starts assembling an envelope from the first segment of a
// large message (processFirstFrameOfLargeMessage: header errors are fatal,
// as the rest cannot be trusted). It returns the envelope if that segment
// already holds all of it.
func (er *envelopeReader) firstOfLarge(p []byte) (Frame, error) {
	f, n, herr := er.header(p)
	if herr != nil {
		herr.fatal = true
		return Frame{}, herr
	}
	if n > er.maxBody {
		// Bounded as Envelope.Decoder bounds v4 frames, so a client
		// cannot make the server buffer an unbounded message.
		return Frame{}, &envelopeError{stream: f.Stream, fatal: true, err: newError(ErrInvalid,
			"Request is too big: length %d exceeds maximum allowed length %d.", int64(n)+HeaderLen, er.maxBody+HeaderLen)}
	}
	if len(p) >= HeaderLen+n {
		f.Body = clone(p[HeaderLen : HeaderLen+n])
		return f, nil
	}
	er.largeHdr, er.largeLen = f, HeaderLen+n
	er.large = append(make([]byte, 0, min(HeaderLen+n, 4<<20)), p...)
	return Frame{}, nil
}

// header is Envelope.Decoder.extractHeader plus CQLMessageHandler's
// version check: it returns the envelope header and body length.
func (er *envelopeReader) header(b []byte) (Frame, int, *envelopeError) {
	if len(b) < HeaderLen {
		return Frame{}, 0, &envelopeError{fatal: true, err: newError(ErrServer,
			"java.lang.IllegalArgumentException: Undersized buffer supplied. Expected %d, actual %d", HeaderLen, len(b))}
	}
	f := Frame{
		Version:  b[0] &^ directionResponse,
		Flags:    b[1],
		Stream:   int16(binary.BigEndian.Uint16(b[2:4])),
		Opcode:   Opcode(b[4]),
		Response: b[0]&directionResponse != 0,
	}
	n := int32(binary.BigEndian.Uint32(b[5:9]))
	if n < 0 {
		return f, 0, &envelopeError{stream: f.Stream, fatal: true, err: protocolErr("Invalid value for envelope header body length field: %d", n)}
	}
	fail := func(e *Error) (Frame, int, *envelopeError) {
		return f, int(n), &envelopeError{stream: f.Stream, err: e}
	}
	switch {
	case f.Version < minVersion || f.Version > maxVersion:
		return fail(protocolErr("%s", (&VersionError{Version: f.Version}).Error()))
	case f.Version == betaVersion && f.Flags&FlagUseBeta == 0:
		return fail(protocolErr("%s", (&BetaError{Frame: f}).Error()))
	}
	if e := opcodeError(f); e != nil {
		return fail(e)
	}
	if f.Version != er.version {
		// The missing space is Cassandra's.
		return fail(protocolErr("Invalid message version. Got %s but previousmessages on this connection had version %s",
			versionName(f.Version), versionName(er.version)))
	}
	return f, int(n), nil
}
