// Command server is the netcorr failure-lab HTTP/2 server.
//
// Modes (-mode):
//
//	h2c          net/http + x/net/http2/h2c, HTTP/2 cleartext with prior knowledge
//	tls          net/http + x/net/http2 over TLS (self-signed ECDSA cert made at start)
//	raw-goaway   raw x/net/http2.Framer: on a request HEADERS frame send
//	             GOAWAY(-goaway-code, last stream = that stream) and close
//	raw-rst      raw framer: on a request HEADERS frame answer HEADERS
//	             (200, content-length 1000) and 200 body bytes, then close
//	             the TCP connection with SO_LINGER 0 (kernel sends RST)
//	raw-nowindow raw framer: SETTINGS_INITIAL_WINDOW_SIZE=-window, never send
//	             WINDOW_UPDATE, never answer (request bodies stall)
//	raw-noping   raw framer: accept requests, never answer them, ignore PINGs
//	raw-close    raw framer: on a request HEADERS frame close the connection
//	             normally (FIN) without GOAWAY
//	raw-silent   read the client preface and frames, never write anything
//	             (no SETTINGS)
//	raw-noread   SO_RCVBUF -rcvbuf on the listener; send SETTINGS (huge
//	             windows) then never read again: TCP zero window
//
// Handlers of h2c/tls: /ok, /500 (503, or ?code=N), /reset (RST_STREAM via
// panic(http.ErrAbortHandler)), /stall (sleep -stall), /big (-big-size bytes),
// /goaway (answer, then http.Server.Shutdown: graceful GOAWAY NO_ERROR),
// /grpc (gRPC-style: 200, content-type application/grpc, trailers
// grpc-status -grpc-status and grpc-message),
// anything else: read the body and answer 200.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
	"golang.org/x/net/http2/hpack"
)

var (
	mode       = flag.String("mode", "h2c", "h2c | tls | raw-goaway | raw-rst | raw-nowindow | raw-noping")
	listen     = flag.String("listen", ":8080", "listen address")
	stall      = flag.Duration("stall", 10*time.Second, "how long /stall sleeps")
	bigSize    = flag.Int("big-size", 200000, "bytes sent by /big")
	goawayCode = flag.String("goaway-code", "ENHANCE_YOUR_CALM", "raw-goaway: error code (ENHANCE_YOUR_CALM, PROTOCOL_ERROR, ... or a number)")
	window     = flag.Uint("window", 4096, "raw-nowindow: SETTINGS_INITIAL_WINDOW_SIZE")
	rcvbuf     = flag.Int("rcvbuf", 4096, "raw-noread: SO_RCVBUF of the listening socket")
	grpcStatus = flag.Int("grpc-status", 14, "/grpc: grpc-status trailer (14 = UNAVAILABLE)")
)

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	flag.Parse()
	switch *mode {
	case "h2c", "tls":
		serveStd()
	case "raw-goaway", "raw-rst", "raw-nowindow", "raw-noping", "raw-close", "raw-silent", "raw-noread":
		serveRaw()
	default:
		log.Fatalf("unknown -mode %q", *mode)
	}
}

func handlers(srv *http.Server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) {
		code := http.StatusServiceUnavailable
		if c, err := strconv.Atoi(r.URL.Query().Get("code")); err == nil {
			code = c
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "netcorr lab: %d %s\n", code, http.StatusText(code))
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		log.Printf("server: /reset: aborting handler (RST_STREAM)")
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(*stall):
		case <-r.Context().Done():
		}
		io.WriteString(w, "stalled\n")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(*bigSize))
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 1024)
		for left := *bigSize; left > 0; {
			n := len(chunk)
			if n > left {
				n = left
			}
			if _, err := w.Write(chunk[:n]); err != nil {
				return
			}
			left -= n
		}
	})
	mux.HandleFunc("/goaway", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "shutting down\n")
		go func() {
			time.Sleep(50 * time.Millisecond)
			log.Printf("server: /goaway: Shutdown")
			srv.Shutdown(context.Background())
		}()
	})
	mux.HandleFunc("/grpc", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Trailer", "Grpc-Status, Grpc-Message")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		w.Header().Set("Grpc-Status", strconv.Itoa(*grpcStatus))
		w.Header().Set("Grpc-Message", "netcorr lab: backend unavailable")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			log.Printf("server: %s %s: body: %v", r.Method, r.URL, err)
			return
		}
		fmt.Fprintf(w, "read %d bytes\n", n)
	})
	return logRequests(mux)
}

func logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Printf("server: %s %s %s from %s", r.Proto, r.Method, r.URL, r.RemoteAddr)
		h.ServeHTTP(w, r)
	})
}

func serveStd() {
	srv := &http.Server{Addr: *listen}
	h2s := &http2.Server{}
	if err := http2.ConfigureServer(srv, h2s); err != nil {
		log.Fatal(err)
	}
	var err error
	if *mode == "h2c" {
		srv.Handler = h2c.NewHandler(handlers(srv), h2s)
		log.Printf("server: h2c listening on %s", *listen)
		err = srv.ListenAndServe()
	} else {
		srv.Handler = handlers(srv)
		srv.TLSConfig.Certificates = []tls.Certificate{selfSigned()}
		log.Printf("server: tls listening on %s", *listen)
		err = srv.ListenAndServeTLS("", "")
	}
	log.Printf("server: %v", err)
	if err == http.ErrServerClosed {
		time.Sleep(time.Second) // let graceful shutdown finish
	}
}

func selfSigned() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "app.lab.test", Organization: []string{"netcorr lab"}},
		DNSNames:     []string{"app.lab.test", "app6.lab.test"},
		IPAddresses:  []net.IP{net.ParseIP("10.77.0.80"), net.ParseIP("fd77::80")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func parseCode(s string) http2.ErrCode {
	if n, err := strconv.ParseUint(s, 0, 32); err == nil {
		return http2.ErrCode(n)
	}
	for c := http2.ErrCode(0); c < 0x10; c++ {
		if c.String() == strings.ToUpper(s) {
			return c
		}
	}
	log.Fatalf("unknown -goaway-code %q", s)
	return 0
}

func serveRaw() {
	code := parseCode(*goawayCode)
	lc := net.ListenConfig{}
	if *mode == "raw-noread" {
		lc.Control = func(network, address string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, *rcvbuf)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	ln, err := lc.Listen(context.Background(), "tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("server: %s listening on %s", *mode, ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go rawConn(c, code)
	}
}

func rawConn(c net.Conn, code http2.ErrCode) {
	defer c.Close()
	peer := c.RemoteAddr().String()
	br := bufio.NewReader(c)
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(br, preface); err != nil || string(preface) != http2.ClientPreface {
		log.Printf("server: %s: bad preface (%v)", peer, err)
		return
	}
	fr := http2.NewFramer(c, br)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	switch *mode {
	case "raw-silent":
		log.Printf("server: %s: preface read; sending nothing, not even SETTINGS", peer)
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				log.Printf("server: %s: read frame: %v", peer, err)
				return
			}
			log.Printf("server: %s: got %v (not answering)", peer, f.Header())
		}
	case "raw-noread":
		fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30})
		fr.WriteWindowUpdate(0, 1<<30)
		log.Printf("server: %s: sent SETTINGS INITIAL_WINDOW_SIZE=%d and WINDOW_UPDATE; not reading any more", peer, 1<<30)
		time.Sleep(time.Hour)
		return
	}
	settings := []http2.Setting{{ID: http2.SettingMaxConcurrentStreams, Val: 100}}
	if *mode == "raw-nowindow" {
		settings = append(settings, http2.Setting{ID: http2.SettingInitialWindowSize, Val: uint32(*window)})
	}
	if err := fr.WriteSettings(settings...); err != nil {
		return
	}
	received := 0
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			log.Printf("server: %s: read frame: %v", peer, err)
			return
		}
		log.Printf("server: %s: got %v", peer, f.Header())
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if f.IsAck() {
				break
			}
			if *mode == "raw-noping" {
				log.Printf("server: %s: ignoring PING %x", peer, f.Data)
				break
			}
			fr.WritePing(true, f.Data)
		case *http2.DataFrame:
			received += len(f.Data())
			log.Printf("server: %s: %d body bytes so far, not sending WINDOW_UPDATE", peer, received)
		case *http2.MetaHeadersFrame:
			var path, method string
			for _, hf := range f.Fields {
				switch hf.Name {
				case ":path":
					path = hf.Value
				case ":method":
					method = hf.Value
				}
			}
			log.Printf("server: %s: request stream %d %s %s", peer, f.StreamID, method, path)
			switch *mode {
			case "raw-goaway":
				log.Printf("server: %s: sending GOAWAY last=%d code=%v and closing", peer, f.StreamID, code)
				fr.WriteGoAway(f.StreamID, code, []byte("netcorr lab: go away"))
				time.Sleep(100 * time.Millisecond)
				return
			case "raw-close":
				time.Sleep(100 * time.Millisecond)
				log.Printf("server: %s: closing the connection (FIN), no GOAWAY", peer)
				// Half-close, then drain what the client still sends: closing
				// with unread data would make the kernel send RST instead.
				c.(*net.TCPConn).CloseWrite()
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				io.Copy(io.Discard, br)
				return
			case "raw-rst":
				// Answer with HEADERS and part of a body, then reset the TCP
				// connection while the client is waiting for the rest. The
				// pauses make sure the client is idle in read (not writing)
				// when the RST arrives, so it sees ECONNRESET, not EOF.
				time.Sleep(100 * time.Millisecond)
				var hb bytes.Buffer
				enc := hpack.NewEncoder(&hb)
				enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
				enc.WriteField(hpack.HeaderField{Name: "content-type", Value: "text/plain"})
				enc.WriteField(hpack.HeaderField{Name: "content-length", Value: "1000"})
				fr.WriteHeaders(http2.HeadersFrameParam{StreamID: f.StreamID, BlockFragment: hb.Bytes(), EndHeaders: true})
				fr.WriteData(f.StreamID, false, bytes.Repeat([]byte("partial "), 25))
				log.Printf("server: %s: sent response HEADERS and 200 of 1000 body bytes", peer)
				time.Sleep(100 * time.Millisecond)
				log.Printf("server: %s: closing with SO_LINGER 0 (TCP RST)", peer)
				if tc, ok := c.(*net.TCPConn); ok {
					tc.SetLinger(0)
				}
				return
			}
		}
	}
}
