// Command stamp reads lines from stdin and writes each line
//   - verbatim to the -raw file, and
//   - in the Kubernetes CRI container log format
//     ("2026-11-27T11:20:00.123456789Z stderr F message") to the -cri file,
//     stamped with the wall clock (UTC) at the moment the line arrives.
//
// Lines longer than 16 KiB are split into partial ("P") records followed by
// a final ("F") record, as the kubelet/containerd do.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"
)

const maxCRIChunk = 16 * 1024

func main() {
	criPath := flag.String("cri", "", "CRI-format output file")
	rawPath := flag.String("raw", "", "raw output file")
	stream := flag.String("stream", "stderr", "CRI stream name (stdout or stderr)")
	tee := flag.Bool("tee", false, "also copy raw lines to stdout")
	flag.Parse()

	open := func(p string) io.Writer {
		if p == "" {
			return io.Discard
		}
		f, err := os.Create(p)
		if err != nil {
			log.Fatal(err)
		}
		return f
	}
	cri, raw := open(*criPath), open(*rawPath)

	r := bufio.NewReaderSize(os.Stdin, 64*1024)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			now := time.Now().UTC()
			if line[len(line)-1] == '\n' {
				line = line[:len(line)-1]
			}
			raw.Write(append(append([]byte{}, line...), '\n'))
			if *tee {
				os.Stdout.Write(append(append([]byte{}, line...), '\n'))
			}
			ts := now.Format("2006-01-02T15:04:05.000000000Z")
			for len(line) > maxCRIChunk {
				fmt.Fprintf(cri, "%s %s P %s\n", ts, *stream, line[:maxCRIChunk])
				line = line[maxCRIChunk:]
			}
			fmt.Fprintf(cri, "%s %s F %s\n", ts, *stream, line)
		}
		if err != nil {
			if err != io.EOF {
				log.Fatal(err)
			}
			return
		}
	}
}
