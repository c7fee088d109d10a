package userdata_test

import (
	"fmt"

	"github.com/udkit/udkit/userdata"
)

// A filename from someone else's user data, printed for a terminal: the
// plain one stays as it is, the hostile one cannot clear the screen.
func ExampleQuoteHeader() {
	fmt.Println(userdata.QuoteHeader("10-register.sh"))
	fmt.Println(userdata.QuoteHeader("\x1b[2Jx.sh"))
	fmt.Println(userdata.QuoteHeader("a\u202ehs.exe"))
	// Output:
	// 10-register.sh
	// "\x1b[2Jx.sh"
	// "a\u202ehs.exe"
}
