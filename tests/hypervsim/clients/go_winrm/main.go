// A tiny WinRM client on github.com/masterzen/winrm (NTLM via github.com/Azure/go-ntlmssp),
// written for hyperv-lab's e2e tests: it runs each command line given after the flags in its
// own cmd.exe shell command and prints one JSON line per command.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/masterzen/winrm"
)

type result struct {
	Command  string `json:"command"`
	ExitCode int    `json:"exit_code"`
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
	Error    string `json:"error,omitempty"`
}

func main() {
	port := flag.Int("port", 5985, "")
	user := flag.String("user", "Administrator", "")
	ntlm := flag.Bool("ntlm", false, "")
	flag.Parse()

	params := *winrm.DefaultParameters
	if *ntlm {
		params.TransportDecorator = func() winrm.Transporter { return &winrm.ClientNTLM{} }
	}
	endpoint := winrm.NewEndpoint("127.0.0.1", *port, false, false, nil, nil, nil, 60*time.Second)
	client, err := winrm.NewClientWithParameters(endpoint, *user, os.Getenv("GOWINRM_PASSWORD"), &params)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out := json.NewEncoder(os.Stdout)
	for _, command := range flag.Args() {
		var stdout, stderr bytes.Buffer
		code, err := client.RunWithContext(context.Background(), command, &stdout, &stderr)
		r := result{Command: command, ExitCode: code, Stdout: stdout.String(), Stderr: stderr.String()}
		if err != nil {
			r.Error = err.Error()
		}
		_ = out.Encode(r)
	}
}
