package udkit_test

import (
	"fmt"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/userdata"
)

// One budget for a whole document: decoding, and the parsing, validation
// and linting of every cloud-config part, share it, so a document cannot
// multiply the work by splitting it over parts. Here each part's aliases
// expand 700 bytes to a million, within the limit for one cloud-config;
// twenty such parts would be 20 MB of text, and the parts past the
// document's 16 MiB are refused.
func ExampleNewBudget() {
	fanOut := "#cloud-config\n" +
		"a: &a \"" + fmt.Sprintf("%0900d", 0) + "\"\n" +
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
		"d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	doc := &userdata.Document{}
	for i := 0; i < 20; i++ {
		doc.Parts = append(doc.Parts, userdata.Part{ContentType: userdata.ContentCloudConfig, Filename: fmt.Sprintf("p%02d", i), Body: []byte(fanOut)})
	}
	data, err := doc.Encode(userdata.Options{Gzip: userdata.GzipAlways})
	if err != nil {
		panic(err)
	}

	b := udkit.NewBudget()
	d, err := userdata.Decode(data, userdata.Limits{Budget: b})
	if err != nil {
		panic(err)
	}
	within := cloudconfig.WithBudget(b)
	checked, refused := 0, 0
	for _, p := range d.Parts {
		c, err := cloudconfig.Parse(p.Body, within)
		if err != nil {
			refused++
			continue
		}
		if c.Validate(within) == nil {
			cloudconfig.Lint(c, within)
			checked++
		}
	}
	fmt.Printf("checked %d parts, refused %d\n", checked, refused)
	// Output:
	// checked 16 parts, refused 4

}
