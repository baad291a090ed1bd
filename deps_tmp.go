package multilabel
import (
 _ "gonum.org/v1/gonum/blas/blas32"
 _ "golang.org/x/sys/cpu"
 _ "github.com/klauspost/cpuid/v2"
 _ "github.com/google/go-cmp/cmp"
 _ "golang.org/x/image/draw"
 _ "gonum.org/v1/plot"
)
