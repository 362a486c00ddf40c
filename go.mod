module github.com/ringside/ringside

go 1.26.8
