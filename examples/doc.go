// Package examples holds runnable programs that show the project end to
// end; each subdirectory is a main package (go run ./examples/<name>).
package examples
