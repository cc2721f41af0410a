// Reads JSON lines {"kind": "rule"|"url", "text": "…"} and answers each with what Go makes of it: a rule as
// vulcand/predicate reads it for Traefik (go/parser.ParseExpr, then calls, &&, ||, ! and parentheses, with
// strconv.Unquote'd string arguments), a URL as net/url.Parse splits it. Standard library only.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/url"
	"os"
	"strconv"
)

type request struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
}

type answer struct {
	Ok       bool     `json:"ok"`
	Calls    []string `json:"calls,omitempty"`
	Args     [][]byte `json:"args,omitempty"`
	Scheme   string   `json:"scheme,omitempty"`
	Host     string   `json:"host,omitempty"`
	Hostname string   `json:"hostname,omitempty"`
	Port     string   `json:"port,omitempty"`
	User     bool     `json:"user,omitempty"`
	Opaque   bool     `json:"opaque,omitempty"`
}

func walk(e ast.Expr, a *answer) error {
	switch n := e.(type) {
	case *ast.BinaryExpr:
		if n.Op != token.LAND && n.Op != token.LOR {
			return fmt.Errorf("operator %v", n.Op)
		}
		if err := walk(n.X, a); err != nil {
			return err
		}
		return walk(n.Y, a)
	case *ast.ParenExpr:
		return walk(n.X, a)
	case *ast.UnaryExpr:
		if n.Op != token.NOT {
			return fmt.Errorf("unary %v", n.Op)
		}
		return walk(n.X, a)
	case *ast.CallExpr:
		id, ok := n.Fun.(*ast.Ident)
		if !ok {
			return fmt.Errorf("function %T", n.Fun)
		}
		for _, arg := range n.Args {
			lit, ok := arg.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return fmt.Errorf("argument %T", arg)
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil {
				return err
			}
			a.Calls = append(a.Calls, id.Name)
			a.Args = append(a.Args, []byte(v))
		}
		return nil
	}
	return fmt.Errorf("node %T", e)
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var r request
		if err := json.Unmarshal(in.Bytes(), &r); err != nil {
			panic(err)
		}
		a := answer{}
		switch r.Kind {
		case "rule":
			if e, err := parser.ParseExpr(r.Text); err == nil && walk(e, &a) == nil {
				a.Ok = true
			} else {
				a = answer{}
			}
		case "url":
			if u, err := url.Parse(r.Text); err == nil {
				a = answer{Ok: true, Scheme: u.Scheme, Host: u.Host, Hostname: u.Hostname(), Port: u.Port(), User: u.User != nil, Opaque: u.Opaque != ""}
			}
		}
		if err := out.Encode(a); err != nil {
			panic(err)
		}
	}
}
