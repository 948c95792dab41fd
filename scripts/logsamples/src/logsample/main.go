// logsample produces real Go debug logs (GODEBUG=netdns=go+2,http2debug=2) on loopback only.
// Everything listens on and dials 127.0.0.1; DNS queries are redirected to a loopback responder.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

// dnsd answers every query on 127.0.0.1 with the given rcode (or never, when rcode < 0).
func dnsd(rcode int) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if rcode < 0 || n < 12 {
				continue
			}
			resp := append([]byte(nil), buf[:n]...)
			resp[2] = 0x81 | (buf[2] & 0x01)
			resp[3] = 0x80 | byte(rcode)
			pc.WriteTo(resp, addr)
		}
	}()
	return pc.LocalAddr().String()
}

// closedPort returns a loopback UDP/TCP port nobody listens on.
func closedPort(network string) string {
	if network == "udp" {
		pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
		a := pc.LocalAddr().String()
		pc.Close()
		return a
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	a := l.Addr().String()
	l.Close()
	return a
}

func resolverTo(addr string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}

func handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "session=s3cr3t-session-value")
		io.WriteString(w, "hello")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 1000))
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, r.Body)
	})
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler) // RST_STREAM INTERNAL_ERROR
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	return mux
}

// freezer forwards TCP to target until frozen, then stops forwarding server->client bytes.
func freezer(target string, frozen *atomic.Bool) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			go io.Copy(s, c)
			go func() {
				buf := make([]byte, 32*1024)
				for {
					n, err := s.Read(buf)
					if err != nil {
						c.Close()
						return
					}
					if frozen.Load() {
						continue
					}
					c.Write(buf[:n])
				}
			}()
		}
	}()
	return l.Addr().String()
}

// rawGoAway speaks just enough HTTP/2 to answer a request with GOAWAY ENHANCE_YOUR_CALM and an
// unknown frame type, then closes.
func rawGoAway(l net.Listener) {
	for {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		go func(conn net.Conn) {
			defer conn.Close()
			preface := make([]byte, len(http2.ClientPreface))
			if _, err := io.ReadFull(conn, preface); err != nil {
				return
			}
			fr := http2.NewFramer(conn, conn)
			fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 100})
			for {
				f, err := fr.ReadFrame()
				if err != nil {
					return
				}
				if sf, ok := f.(*http2.SettingsFrame); ok && !sf.IsAck() {
					fr.WriteSettingsAck()
				}
				if _, ok := f.(*http2.HeadersFrame); ok {
					fr.WriteRawFrame(0x20, 0x3, 0, []byte("??"))
					fr.WriteGoAway(0, http2.ErrCodeEnhanceYourCalm, []byte("too many requests"))
					time.Sleep(50 * time.Millisecond)
					return
				}
			}
		}(conn)
	}
}

func step(name string) { log.Printf("logsample: step %s", name) }

func get(c *http.Client, url string, hdr map[string]string) {
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		log.Printf("logsample: GET %s failed: %v", url, err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	log.Printf("logsample: GET %s: %s, %d bytes", url, resp.Status, len(b))
}

func h2cClient(timeout time.Duration) (*http.Client, *http2.Transport) {
	tr := &http2.Transport{AllowHTTP: true, DialTLS: func(network, addr string, _ *tls.Config) (net.Conn, error) {
		return net.Dial(network, addr)
	}}
	return &http.Client{Transport: tr, Timeout: timeout}, tr
}

func dnsPart() {
	step("dns-nxdomain")
	srv := dnsd(3)
	net.DefaultResolver = resolverTo(srv)
	_, err := net.LookupHost("nonexistent.invalid")
	log.Printf("logsample: lookup: %v", err)

	step("dns-servfail")
	net.DefaultResolver = resolverTo(dnsd(2))
	_, err = net.LookupHost("servfail.invalid")
	log.Printf("logsample: lookup: %v", err)

	step("dns-timeout")
	r := resolverTo(dnsd(-1))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err = r.LookupHost(ctx, "timeout.invalid")
	cancel()
	log.Printf("logsample: lookup: %v", err)

	step("dns-timeout-read")
	r = resolverTo(dnsd(-1))
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
	_, err = r.LookupHost(ctx, "noanswer.invalid")
	cancel()
	log.Printf("logsample: lookup: %v", err)

	step("dns-refused")
	net.DefaultResolver = resolverTo(closedPort("udp"))
	_, err = net.LookupHost("refused.invalid")
	log.Printf("logsample: lookup: %v", err)

	step("dial-via-nxdomain")
	net.DefaultResolver = resolverTo(srv)
	c, _ := h2cClient(time.Second)
	get(c, "http://h2.invalid:8080/ok", nil)

	step("localhost-files")
	_, err = net.LookupHost("localhost")
	log.Printf("logsample: lookup localhost: %v", err)
}

func h2Part() {
	srv := &http.Server{Handler: h2c.NewHandler(handler(), &http2.Server{MaxConcurrentStreams: 250})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	base := "http://" + l.Addr().String()

	step("h2c-success")
	c, tr := h2cClient(5 * time.Second)
	get(c, base+"/ok", map[string]string{"Authorization": "Bearer abc.def.ghi", "Cookie": "sid=12345", "X-Api-Key": "key-0123456789", "User-Agent": "logsample"})
	get(c, base+"/big", nil)
	req, _ := http.NewRequest("POST", base+"/echo", strings.NewReader("password=hunter2"))
	if resp, err := c.Do(req); err == nil {
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}

	step("rst-stream")
	get(c, base+"/abort", nil)

	step("client-timeout")
	c2, _ := h2cClient(200 * time.Millisecond)
	c2.Transport = tr
	get(c2, base+"/slow", nil)

	step("dial-refused")
	get(c, "http://"+closedPort("tcp")+"/ok", nil)

	step("goaway")
	go func() {
		time.Sleep(100 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		srv.Shutdown(ctx)
		cancel()
	}()
	get(c, base+"/slow", nil)
	get(c, base+"/ok", nil)
	tr.CloseIdleConnections()

	step("goaway-error")
	gl, _ := net.Listen("tcp", "127.0.0.1:0")
	go rawGoAway(gl)
	get(c, "http://"+gl.Addr().String()+"/ok", nil)

	step("health-check-failure")
	srv2 := &http.Server{Handler: h2c.NewHandler(handler(), &http2.Server{})}
	l2, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv2.Serve(l2)
	var frozen atomic.Bool
	px := freezer(l2.Addr().String(), &frozen)
	tr3 := &http2.Transport{AllowHTTP: true, ReadIdleTimeout: 300 * time.Millisecond, PingTimeout: 300 * time.Millisecond,
		DialTLS: func(network, addr string, _ *tls.Config) (net.Conn, error) { return net.Dial(network, addr) }}
	c3 := &http.Client{Transport: tr3, Timeout: 5 * time.Second}
	get(c3, "http://"+px+"/ok", nil)
	time.Sleep(400 * time.Millisecond) // one successful health check
	frozen.Store(true)
	get(c3, "http://"+px+"/slow", nil)
	time.Sleep(200 * time.Millisecond)
}

func bundledPart() {
	step("bundled-tls-h2")
	ts := httptest.NewUnstartedServer(handler())
	ts.EnableHTTP2 = true
	ts.StartTLS()
	defer ts.Close()
	c := ts.Client()
	get(c, ts.URL+"/ok", map[string]string{"Authorization": "Basic dXNlcjpwYXNz"})

	step("tls-handshake-timeout")
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	c2 := &http.Client{Transport: &http.Transport{TLSHandshakeTimeout: 200 * time.Millisecond, ForceAttemptHTTP2: true}}
	get(c2, "https://"+l.Addr().String()+"/ok", nil)
}

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: logsample dns|h2|bundled")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "dns":
		dnsPart()
	case "h2":
		h2Part()
	case "bundled":
		bundledPart()
	}
}
