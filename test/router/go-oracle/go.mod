module rdc.test/go-oracle

go 1.21
