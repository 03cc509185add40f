// A Go program linked with cgo (dynamically, so hijack is preloaded):
// Go reads the clock from the vDSO itself, never through libc.
// With an argument N, N goroutines read it 20000 times each, on as many
// threads, while the runtime preempts them with signals.
package main

// #include <stdlib.h>
import "C"

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	_ = C.abs(0)
	n := 0
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	years := make([]int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for k := 0; k < 20000; k++ {
				years[i] = time.Now().Year()
			}
		}(i)
	}
	wg.Wait()
	for _, y := range years {
		if y != time.Now().Year() {
			fmt.Println("goroutine saw", y)
		}
	}
	fmt.Println(time.Now().Year())
}
