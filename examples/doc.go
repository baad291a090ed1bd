// Package examples holds runnable programs that show the project end to
// end; each subdirectory is a main package (go run ./examples/<name>):
//
//	voc    train and evaluate the method on a laptop CPU (synthetic VOC-format data, or your VOC folder)
//	embed  classify image files from a Go program, several goroutines sharing one model
//	serve  an HTTP service classifying uploaded images concurrently, with deadlines
//	wasm   the classifier inside a web page (GOOS=js GOARCH=wasm)
package examples
