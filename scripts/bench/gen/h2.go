package main

// Cleartext HTTP/2 (prior knowledge) over TCP: many concurrent connections, each with a handshake, the
// preface, SETTINGS, requests and responses whose header blocks come from one hpack.Encoder per direction (so
// the dynamic table is used as a real peer would), DATA frames spanning many segments, WINDOW_UPDATE, PING,
// RST_STREAM, GOAWAY and FIN. A few segments are retransmitted or swapped with the next one. Frames are written
// by golang.org/x/net/http2's Framer.

import (
	"bytes"
	"container/heap"
	"fmt"
	"net"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

const mss = 1448

type seg struct {
	at      int64
	fromCli bool
	flags   byte
	seq     uint32
	ack     uint32
	payload []byte
	opts    []byte
}

type h2conn struct {
	cli, srv   endpoint
	segs       []seg
	next       int
	cseq, sseq uint32 // next sequence numbers
	now        int64
	unacked    [2]int
	r          *rng
}

const (
	fFIN = 0x01
	fSYN = 0x02
	fRST = 0x04
	fPSH = 0x08
	fACK = 0x10
)

func (c *h2conn) add(fromCli bool, flags byte, payload []byte, opts []byte) {
	s := seg{at: c.now, fromCli: fromCli, flags: flags, payload: payload, opts: opts}
	if fromCli {
		s.seq, s.ack = c.cseq, c.sseq
		c.cseq += uint32(len(payload))
		if flags&(fSYN|fFIN) != 0 {
			c.cseq++
		}
	} else {
		s.seq, s.ack = c.sseq, c.cseq
		c.sseq += uint32(len(payload))
		if flags&(fSYN|fFIN) != 0 {
			c.sseq++
		}
	}
	c.segs = append(c.segs, s)
}

// write sends one application flush as segments of at most mss bytes; the peer ACKs every second segment.
// Rarely a segment is retransmitted (sent again after the next one) or swapped with the next.
func (c *h2conn) write(fromCli bool, data []byte) {
	d := 0
	if !fromCli {
		d = 1
	}
	start := len(c.segs)
	for off := 0; off < len(data); off += mss {
		end := off + mss
		if end > len(data) {
			end = len(data)
		}
		c.now += int64(8 + c.r.intn(20))
		fl := byte(fACK)
		if end == len(data) {
			fl |= fPSH
		}
		c.add(fromCli, fl, data[off:end], nil)
		c.unacked[d]++
		if c.unacked[d] >= 2 {
			c.now += 5
			c.add(!fromCli, fACK, nil, nil)
			c.unacked[d] = 0
		}
	}
	// Perturb data segments of this flush: a retransmission or a swap with the following segment.
	for i := start; i+1 < len(c.segs); i++ {
		if len(c.segs[i].payload) == 0 || c.segs[i].fromCli != fromCli {
			continue
		}
		if c.r.chance(40) {
			dup := c.segs[i]
			dup.at = c.segs[i+1].at + 1
			c.segs = append(c.segs[:i+2], append([]seg{dup}, c.segs[i+2:]...)...)
			i += 2
		} else if c.r.chance(40) && len(c.segs[i+1].payload) > 0 && c.segs[i+1].fromCli == fromCli {
			c.segs[i], c.segs[i+1] = c.segs[i+1], c.segs[i]
			c.segs[i].at, c.segs[i+1].at = c.segs[i+1].at, c.segs[i].at
			i++
		}
	}
}

// delayedAck acknowledges what is outstanding towards fromCli's peer.
func (c *h2conn) delayedAck(fromCli bool) {
	d := 0
	if !fromCli {
		d = 1
	}
	if c.unacked[d] > 0 {
		c.now += 40
		c.add(!fromCli, fACK, nil, nil)
		c.unacked[d] = 0
	}
}

var synOpts = []byte{2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7, 1, 1} // MSS 1460, SACK permitted, NOP, WS 7, NOP, NOP

type h2side struct {
	buf bytes.Buffer
	fr  *http2.Framer
	hb  bytes.Buffer
	enc *hpack.Encoder
}

func newSide() *h2side {
	s := &h2side{}
	s.fr = http2.NewFramer(&s.buf, nil)
	s.enc = hpack.NewEncoder(&s.hb)
	return s
}

func (s *h2side) take() []byte {
	out := append([]byte(nil), s.buf.Bytes()...)
	s.buf.Reset()
	return out
}

func (s *h2side) headers(stream uint32, end bool, fields [][2]string) {
	s.hb.Reset()
	for _, f := range fields {
		s.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: stream, BlockFragment: s.hb.Bytes(), EndStream: end, EndHeaders: true})
}

var bodyBytes = func() []byte {
	b := make([]byte, 1<<17)
	r := rng{7}
	const alpha = `{"id":0123456789,"name":"abcdefghijklmnopqrstuvwxyz","items":[]}`
	for i := range b {
		b[i] = alpha[r.intn(len(alpha))]
	}
	return b
}()

// newH2Conn builds the whole connection's segments, starting at time t0.
func newH2Conn(r *rng, id int, t0 int64) *h2conn {
	var cli, srv endpoint
	if id%5 == 4 {
		cli = endpoint{net.ParseIP(fmt.Sprintf("fd00:20::%x", id%3000+2)), uint16(32768 + id%28000)}
		srv = endpoint{net.ParseIP(fmt.Sprintf("fd00:80::%x", id%4+1)), 8080}
	} else {
		cli = endpoint{net.IPv4(10, 20, byte(id/250%250), byte(id%250+2)).To4(), uint16(32768 + id%28000)}
		srv = endpoint{net.IPv4(10, 80, 0, byte(id%4+1)).To4(), 8080}
	}
	c := &h2conn{cli: cli, srv: srv, now: t0, r: r, cseq: uint32(r.next()), sseq: uint32(r.next())}
	c.add(true, fSYN, nil, synOpts)
	c.now += 100
	c.add(false, fSYN|fACK, nil, synOpts)
	c.now += 50
	c.add(true, fACK, nil, nil)

	cs, ss := newSide(), newSide()
	cs.buf.WriteString(http2.ClientPreface)
	cs.fr.WriteSettings(http2.Setting{ID: http2.SettingEnablePush, Val: 0},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: 4194304},
		http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: 10485760})
	cs.fr.WriteWindowUpdate(0, 1073741824)
	c.now += 20
	c.write(true, cs.take())
	ss.fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 250},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1048576},
		http2.Setting{ID: http2.SettingMaxFrameSize, Val: 16384})
	ss.fr.WriteWindowUpdate(0, 983041)
	ss.fr.WriteSettingsAck()
	c.now += 60
	c.write(false, ss.take())
	cs.fr.WriteSettingsAck()
	c.write(true, cs.take())

	host := fmt.Sprintf("api%d.svc.example:8080", id%50)
	requests := 4 + r.intn(30)
	received := 0
	for i := 0; i < requests; i++ {
		stream := uint32(2*i + 1)
		post := r.chance(2000)
		method := "GET"
		if post {
			method = "POST"
		}
		fields := [][2]string{{":method", method}, {":scheme", "http"}, {":authority", host},
			{":path", fmt.Sprintf("/api/v1/items/%d?page=%d", r.intn(100000), r.intn(20))},
			{"user-agent", "Go-http-client/2.0"}, {"accept", "application/json"},
			{"x-request-id", fmt.Sprintf("%016x", r.next())}}
		if post {
			fields = append(fields, [2]string{"content-type", "application/json"}, [2]string{"content-length", "512"})
		}
		fields = append(fields, [2]string{"accept-encoding", "gzip"})
		cs.headers(stream, !post, fields)
		if post {
			cs.fr.WriteData(stream, true, bodyBytes[:512])
		}
		c.now += int64(50 + r.intn(400))
		c.write(true, cs.take())
		c.delayedAck(true)
		if r.chance(500) {
			cs.fr.WritePing(false, [8]byte{byte(i), 1, 2, 3, 4, 5, 6, 7})
			c.write(true, cs.take())
			ss.fr.WritePing(true, [8]byte{byte(i), 1, 2, 3, 4, 5, 6, 7})
			c.now += 100
			c.write(false, ss.take())
		}
		// The server thinks, then answers.
		c.now += int64(200 + r.intn(3000))
		roll := r.intn(10000)
		if roll < 150 { // refused before any response
			ss.fr.WriteRSTStream(stream, http2.ErrCodeRefusedStream)
			c.write(false, ss.take())
			c.delayedAck(false)
			continue
		}
		status := "200"
		switch {
		case roll < 400:
			status = "503"
		case roll < 900:
			status = "404"
		}
		size := 200 + r.intn(3000)
		if r.chance(2500) {
			size = 8000 + r.intn(60000)
		}
		if status != "200" {
			size = 60 + r.intn(200)
		}
		ss.headers(stream, false, [][2]string{{":status", status}, {"content-type", "application/json"},
			{"content-length", fmt.Sprint(size)}, {"date", "Fri, 27 Nov 2026 11:33:26 GMT"}, {"server", "netcorr-bench"},
			{"cache-control", "no-store"}})
		c.write(false, ss.take())
		cancel := roll >= 9850 && size > 16384
		for off := 0; off < size; off += 16384 {
			end := off + 16384
			if end > size {
				end = size
			}
			ss.fr.WriteData(stream, end == size, bodyBytes[off:end])
			c.now += 30
			c.write(false, ss.take())
			received += end - off
			if cancel {
				cs.fr.WriteRSTStream(stream, http2.ErrCodeCancel)
				c.write(true, cs.take())
				break
			}
			if received > 65536 {
				cs.fr.WriteWindowUpdate(0, uint32(received))
				cs.fr.WriteWindowUpdate(stream, uint32(received))
				c.write(true, cs.take())
				received = 0
			}
		}
		c.delayedAck(false)
	}
	// The end: GOAWAY from one side, then FIN both ways.
	c.now += int64(1000 + r.intn(5000))
	if id%2 == 0 {
		ss.fr.WriteGoAway(uint32(2*requests-1), http2.ErrCodeNo, nil)
		c.write(false, ss.take())
		c.add(false, fFIN|fACK, nil, nil)
		c.now += 50
		c.add(true, fFIN|fACK, nil, nil)
		c.now += 50
		c.add(false, fACK, nil, nil)
	} else {
		cs.fr.WriteGoAway(0, http2.ErrCodeNo, []byte("client closing"))
		c.write(true, cs.take())
		c.add(true, fFIN|fACK, nil, nil)
		c.now += 50
		c.add(false, fFIN|fACK, nil, nil)
		c.now += 50
		c.add(true, fACK, nil, nil)
	}
	return c
}

func (c *h2conn) emit(p *pcapWriter, s seg) {
	hl := 20 + len(s.opts)
	t := make([]byte, hl, hl)
	src, dst := c.cli, c.srv
	if !s.fromCli {
		src, dst = c.srv, c.cli
	}
	t[0], t[1], t[2], t[3] = byte(src.port>>8), byte(src.port), byte(dst.port>>8), byte(dst.port)
	t[4], t[5], t[6], t[7] = byte(s.seq>>24), byte(s.seq>>16), byte(s.seq>>8), byte(s.seq)
	ack := s.ack
	if s.flags&fACK == 0 {
		ack = 0
	}
	t[8], t[9], t[10], t[11] = byte(ack>>24), byte(ack>>16), byte(ack>>8), byte(ack)
	t[12] = byte(hl/4) << 4
	t[13] = s.flags
	t[14], t[15] = 0x01, 0xf5 // window 501 (×128)
	copy(t[20:], s.opts)
	p.record(s.at, p.packet(src, dst, 6, t, s.payload, s.fromCli, uint16(s.seq)))
}

type connHeap []*h2conn

func (h connHeap) Len() int            { return len(h) }
func (h connHeap) Less(i, j int) bool  { return h[i].segs[h[i].next].at < h[j].segs[h[j].next].at }
func (h connHeap) Swap(i, j int)       { h[i], h[j] = h[j], h[i] }
func (h *connHeap) Push(x interface{}) { *h = append(*h, x.(*h2conn)) }
func (h *connHeap) Pop() interface{} {
	o := *h
	x := o[len(o)-1]
	*h = o[:len(o)-1]
	return x
}

// runH2 writes about `packets` packets from `concurrent` connections at a time.
func runH2(p *pcapWriter, r *rng, packets int, concurrent int, t0 int64, mix func(now int64)) {
	var h connHeap
	id := 0
	scheduled := 0
	now := t0
	start := func(at int64) {
		c := newH2Conn(r, id, at)
		id++
		scheduled += len(c.segs)
		heap.Push(&h, c)
	}
	for i := 0; i < concurrent && scheduled < packets; i++ {
		start(now + int64(i*97))
	}
	for h.Len() > 0 {
		c := h[0]
		s := c.segs[c.next]
		if s.at > now {
			now = s.at
		}
		if mix != nil {
			mix(s.at)
		}
		c.emit(p, s)
		c.next++
		if c.next == len(c.segs) {
			heap.Pop(&h)
			if scheduled < packets {
				start(now + int64(r.intn(500)))
			}
		} else {
			heap.Fix(&h, 0)
		}
	}
}
