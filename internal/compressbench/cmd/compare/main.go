// Command compare prints, for each text of internal/deflate's corpus, the
// gzip'd size made by udkit's default and max modes, `gzip -9 -n`,
// `zopfli` (default iterations) and klauspost/compress's gzip at
// BestCompression, and for each compressor the largest prefix of the text
// whose gzip'd form fits EC2's 16,384 bytes raw, and 16,384 bytes once
// base64-encoded (12,288 gzip'd). It is not run by CI:
//
//	internal/compressbench/compare.sh
//
// The prefix is found by binary search on its length in bytes (gzip'd size
// grows with the prefix nearly monotonically). Timings of udkit max and
// zopfli are over the whole texts, one run each.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/udkit/udkit/internal/deflate"
)

type compressor struct {
	name string
	gz   func([]byte) int
}

func run(name string, in []byte, args ...string) int {
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		log.Fatalf("%s: %v", name, err)
	}
	return len(out)
}

func zopfli(in []byte) int {
	f, err := os.CreateTemp("", "compare-*")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	f.Write(in)
	f.Close()
	out, err := exec.Command("zopfli", "-c", f.Name()).Output()
	if err != nil {
		log.Fatalf("zopfli: %v", err)
	}
	return len(out)
}

func klauspost(in []byte) int {
	var b bytes.Buffer
	w, _ := kgzip.NewWriterLevel(&b, kgzip.BestCompression)
	w.Write(in)
	w.Close()
	return b.Len()
}

var compressors = []compressor{
	{"udkit best", func(in []byte) int { return len(deflate.Gzip(in, deflate.Best)) }},
	{"udkit max", func(in []byte) int { return len(deflate.Gzip(in, deflate.Max)) }},
	{"gzip -9 -n", func(in []byte) int { return run("gzip", in, "-9", "-n", "-c") }},
	{"zopfli", zopfli},
	{"klauspost best", klauspost},
}

// fit is the largest prefix length of in whose gzip'd size is at most
// limit, or len(in) when all of it fits.
func fit(gz func([]byte) int, in []byte, limit int) int {
	if gz(in) <= limit {
		return len(in)
	}
	lo, hi := 0, len(in) // gz(in[:lo]) <= limit < gz(in[:hi])
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if gz(in[:mid]) <= limit {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

func main() {
	dir := flag.String("corpus", "../deflate/testdata/corpus", "corpus directory")
	prefixes := flag.Bool("prefix", true, "compute the largest prefixes that fit")
	flag.Parse()
	names, err := filepath.Glob(filepath.Join(*dir, "[0-9]*"))
	if err != nil || len(names) == 0 {
		log.Fatalf("no corpus in %s", *dir)
	}
	sort.Strings(names)
	fmt.Println("Sizes in bytes, gzip'd (udkit: gzip member with a 10-byte header, like the others).")
	fmt.Println()
	fmt.Print("| text | raw |")
	for _, c := range compressors {
		fmt.Printf(" %s |", c.name)
	}
	fmt.Println(" max vs zopfli |")
	fmt.Print("|---|---:|")
	for range compressors {
		fmt.Print("---:|")
	}
	fmt.Println("---:|")
	totals := make([]int, len(compressors))
	var maxTime, zTime time.Duration
	for _, path := range names {
		in, err := os.ReadFile(path)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("| %s | %d |", filepath.Base(path), len(in))
		sizes := make([]int, len(compressors))
		for i, c := range compressors {
			start := time.Now()
			sizes[i] = c.gz(in)
			el := time.Since(start)
			switch c.name {
			case "udkit max":
				maxTime += el
			case "zopfli":
				zTime += el
			}
			totals[i] += sizes[i]
			fmt.Printf(" %d |", sizes[i])
		}
		fmt.Printf(" %+.2f %% |\n", 100*float64(sizes[1]-sizes[3])/float64(sizes[3]))
	}
	fmt.Print("| **total** | |")
	for _, t := range totals {
		fmt.Printf(" **%d** |", t)
	}
	fmt.Printf(" %+.2f %% |\n", 100*float64(totals[1]-totals[3])/float64(totals[3]))
	fmt.Println()
	fmt.Printf("Time over the whole corpus, one run each: udkit max %v, zopfli %v (%.2f of zopfli's time).\n",
		maxTime.Round(time.Millisecond), zTime.Round(time.Millisecond), float64(maxTime)/float64(zTime))
	if !*prefixes {
		return
	}
	fmt.Println()
	fmt.Println("Largest prefix (bytes of the text) whose gzip'd form fits 16,384 bytes raw / 12,288 bytes (16,384 once base64'd); \"all\" when the whole text fits.")
	fmt.Println()
	fmt.Print("| text |")
	for _, c := range compressors {
		fmt.Printf(" %s |", c.name)
	}
	fmt.Println()
	fmt.Print("|---|")
	for range compressors {
		fmt.Print("---:|")
	}
	fmt.Println()
	for _, path := range names {
		in, _ := os.ReadFile(path)
		fmt.Printf("| %s |", filepath.Base(path))
		for _, c := range compressors {
			var cells []string
			for _, limit := range []int{16384, 12288} {
				n := fit(c.gz, in, limit)
				if n == len(in) {
					cells = append(cells, "all")
				} else {
					cells = append(cells, fmt.Sprint(n))
				}
			}
			fmt.Printf(" %s |", strings.Join(cells, " / "))
		}
		fmt.Println()
	}
}
