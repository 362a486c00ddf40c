module github.com/ringside/ringside

go 1.26.8

require (
	github.com/apache/cassandra-gocql-driver/v2 v2.1.2
	gopkg.in/yaml.v3 v3.0.1
)

require gopkg.in/inf.v0 v0.9.1 // indirect
