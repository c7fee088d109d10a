package userdata_test

import (
	"fmt"
	"strings"

	"github.com/udkit/udkit/userdata"
)

// With CompressionMax and GzipAuto, Encode gzips with the default mode
// first and turns to max mode only when that does not fit the limit.
func ExampleCompression() {
	var doc userdata.Document
	for i := 0; i < 40; i++ {
		body := fmt.Sprintf("#!/bin/sh\n# task %d\n", i) + strings.Repeat(fmt.Sprintf("echo step %d of task %d >> /var/log/tasks.log\n", i*7%13, i), 40)
		doc.Parts = append(doc.Parts, userdata.Part{ContentType: userdata.ContentShellScript, Filename: fmt.Sprintf("%02d-task.sh", i), Body: []byte(body)})
	}
	best, err := doc.Sizes(userdata.Options{Gzip: userdata.GzipAlways})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A limit the default mode misses by a few bytes.
	o := userdata.Options{Gzip: userdata.GzipAuto, Limit: best.Gzip - 1, Compression: userdata.CompressionMax}
	_, rep, err := doc.EncodeReport(o)
	fmt.Println("fits:", err == nil, "compression:", rep.Compression, "saved:", rep.MaxSaved > 0)
	// Output: fits: true compression: max saved: true
}
