package client_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/ringside/ringside/client"
)

// A health check, a settings change across one DC, and a bulk command
// followed as a job, against an https sidecar with JWT roles.
func Example() {
	ctx := context.Background()
	pem, err := os.ReadFile("/etc/ringside/tls/cluster-ca.pem")
	if err != nil {
		log.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := client.New("https://10.0.0.5:5000", client.WithRootCAs(pool), client.WithToken(os.Getenv("RINGSIDE_TOKEN")))
	if err != nil {
		log.Fatal(err)
	}

	rep, err := c.Health(ctx, client.CheckCoordinator)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("healthy:", rep.Healthy, rep.Reasons)

	s, err := c.SetSettings(ctx, client.Selector{DCs: []string{"dc1"}}, map[string]any{"compaction_throughput": "32MiB/s"})
	var ae *client.APIError
	switch {
	case errors.As(err, &ae) && len(ae.Problems) > 0:
		log.Fatalf("nothing changed: %v", ae.Problems) // key → why
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println("changed on", s.Success, "failed on", s.Failure)

	run, err := c.RunBulk(ctx, "flush", map[string]any{"keyspace": "ks"}, client.BulkOptions{Async: true})
	if err != nil {
		log.Fatal(err)
	}
	for {
		job, err := c.Job(ctx, run.JobID)
		if err != nil {
			log.Fatal(err)
		}
		if job.State == client.JobDone {
			fmt.Printf("flush: %d of %d nodes succeeded\n", len(job.Success), job.Total)
			break
		}
		time.Sleep(time.Second)
	}
}

// A rolling restart of the cluster within two hours, followed to its end.
func ExampleClient_RestartCluster() {
	ctx := context.Background()
	c, err := client.New("http://127.0.0.1:5000")
	if err != nil {
		log.Fatal(err)
	}
	doc, err := c.RestartCluster(ctx, client.RestartRequest{By: time.Now().Add(2 * time.Hour)})
	if err != nil {
		log.Fatal(err)
	}
	for d := doc.Current(); d != nil && !client.DesireEnded(d.State); d = doc.Current() {
		fmt.Printf("%s: %d/%d nodes, wave %d of %d\n", d.State, d.Progress.Done, d.Progress.Total, d.Wave+1, len(d.Waves))
		if d.State == client.DesireBlocked {
			log.Fatalf("blocked: %s", d.Reason)
		}
		time.Sleep(5 * time.Second)
		if doc, err = c.ClusterDesire(ctx); err != nil {
			log.Fatal(err)
		}
	}
}
