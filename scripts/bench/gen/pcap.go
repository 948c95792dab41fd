package main

// Classic pcap framing (microsecond timestamps) with Linux cooked v2 link headers, and IPv4/IPv6/UDP/TCP
// headers with real checksums. Only the framing is written by hand; DNS and HTTP/2 payloads come from
// golang.org/x/net's encoders (dns.go, h2.go).

import (
	"bufio"
	"encoding/binary"
	"net"
	"os"
)

const linktypeLinuxSLL2 = 276

type pcapWriter struct {
	f       *os.File
	w       *bufio.Writer
	packets int
	bytes   int64
	buf     []byte
}

func newPcap(path string) *pcapWriter {
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 262144)
	binary.LittleEndian.PutUint32(h[20:], linktypeLinuxSLL2)
	w.Write(h[:])
	return &pcapWriter{f: f, w: w}
}

func (p *pcapWriter) close() {
	p.w.Flush()
	p.f.Close()
}

// record writes one packet at time us (microseconds since the epoch).
func (p *pcapWriter) record(us int64, pkt []byte) {
	var h [16]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(us/1e6))
	binary.LittleEndian.PutUint32(h[4:], uint32(us%1e6))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(pkt)))
	binary.LittleEndian.PutUint32(h[12:], uint32(len(pkt)))
	p.w.Write(h[:])
	p.w.Write(pkt)
	p.packets++
	p.bytes += int64(len(pkt)) + 16
}

// endpoint is an address and a port; the address is 4 or 16 bytes.
type endpoint struct {
	ip   net.IP
	port uint16
}

func (e endpoint) v6() bool { return e.ip.To4() == nil }

func (e endpoint) addr() []byte {
	if a := e.ip.To4(); a != nil {
		return a
	}
	return e.ip.To16()
}

func csum(sum uint32, b []byte) uint32 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	return sum
}

func fold(sum uint32) uint16 {
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// packet builds SLL2 + IP + transport header + payload. proto 17 (transport = 8-byte UDP header filled here)
// or 6 (transport = a TCP header with zero checksum, filled here). outgoing marks the cooked packet type.
func (p *pcapWriter) packet(src, dst endpoint, proto byte, transport, payload []byte, outgoing bool, ipid uint16) []byte {
	v6 := src.v6()
	b := p.buf[:0]
	// Linux cooked v2: protocol, reserved, interface index, ARPHRD_ETHER, packet type, address length, address.
	et := uint16(0x0800)
	if v6 {
		et = 0x86dd
	}
	pt := byte(0)
	if outgoing {
		pt = 4
	}
	b = append(b, byte(et>>8), byte(et), 0, 0, 0, 0, 0, 2, 0, 1, pt, 6, 0x02, 0x42, 0xac, 0x11, 0, byte(src.addr()[len(src.addr())-1]), 0, 0)
	l4len := len(transport) + len(payload)
	ipStart := len(b)
	if v6 {
		b = append(b, 0x60, 0, 0, 0, byte(l4len>>8), byte(l4len), proto, 64)
		b = append(b, src.addr()...)
		b = append(b, dst.addr()...)
	} else {
		tot := 20 + l4len
		b = append(b, 0x45, 0, byte(tot>>8), byte(tot), byte(ipid>>8), byte(ipid), 0x40, 0, 64, proto, 0, 0)
		b = append(b, src.addr()...)
		b = append(b, dst.addr()...)
		c := fold(csum(0, b[ipStart:ipStart+20]))
		b[ipStart+10], b[ipStart+11] = byte(c>>8), byte(c)
	}
	tStart := len(b)
	b = append(b, transport...)
	b = append(b, payload...)
	if proto == 17 {
		binary.BigEndian.PutUint16(b[tStart:], src.port)
		binary.BigEndian.PutUint16(b[tStart+2:], dst.port)
		binary.BigEndian.PutUint16(b[tStart+4:], uint16(l4len))
		b[tStart+6], b[tStart+7] = 0, 0
	}
	// Pseudo-header checksum (RFC 768, RFC 9293, RFC 8200 §8.1).
	sum := csum(0, src.addr())
	sum = csum(sum, dst.addr())
	sum += uint32(proto) + uint32(l4len)
	sum = csum(sum, b[tStart:])
	c := fold(sum)
	if proto == 17 {
		if c == 0 {
			c = 0xffff
		}
		b[tStart+6], b[tStart+7] = byte(c>>8), byte(c)
	} else {
		b[tStart+16], b[tStart+17] = byte(c>>8), byte(c)
	}
	p.buf = b
	return b
}

// rng: a small deterministic generator (splitmix64), so captures are the same on every run and Go version.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// chance is true with probability per10k/10000.
func (r *rng) chance(per10k int) bool { return r.intn(10000) < per10k }
