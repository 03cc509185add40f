// A Go program without cgo: statically linked, no loader to preload us.
package main

import (
	"fmt"
	"time"
)

func main() { fmt.Println(time.Now().Year()) }
