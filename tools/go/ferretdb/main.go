// Command ferretdb serves the MongoDB wire protocol with FerretDB's SQLite handler, run through
// FerretDB's embeddable package (go.mod says why not its own cmd/ferretdb), until SIGINT/SIGTERM.
//
// The embeddable package starts no telemetry reporter and no debug HTTP listener: the only socket
// is the wire-protocol listener given by -listen-addr.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address of the MongoDB wire protocol listener")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite URI of the directory that holds one file per database")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	// Cancelled on SIGTERM: Run then closes the listener and the SQLite databases cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	server, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: *sqliteURL,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: cannot start on %s with %s: %v\n", *listenAddr, *sqliteURL, err)
		os.Exit(1)
	}

	logger.Info("serving the MongoDB wire protocol", "listen", *listenAddr, "sqlite", *sqliteURL)

	if err := server.Run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %v\n", err)
		os.Exit(1)
	}
}
