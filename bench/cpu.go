package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// cpuUse is CPU time used so far, in seconds, by the parts of the machine a
// measurement involves besides the server (whose own CPU time comes from its
// metrics): the Postgres backends serving the database, and this process.
type cpuUse struct {
	backends map[int]float64 // by backend PID
	self     float64
	xacts    float64 // the database's transactions committed and rolled back (pg_stat_database)
}

// clockTicks is the unit of /proc/PID/stat times (USER_HZ, 100 on Linux).
const clockTicks = 100

// readCPU reads the CPU time of the database's backends, found through
// pg_stat_activity and read from /proc (so only for a Postgres on this
// Linux machine; none otherwise), and of this process.
func readCPU(ctx context.Context, pool *pgxpool.Pool) cpuUse {
	u := cpuUse{backends: map[int]float64{}, self: selfCPU()}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := pool.QueryRow(ctx, `SELECT xact_commit + xact_rollback FROM pg_stat_database
		WHERE datname = current_database()`).Scan(&u.xacts); err != nil {
		u.xacts = -1
	}
	rows, err := pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return u
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			return u
		}
		if s, ok := procCPU(pid); ok {
			u.backends[pid] = s
		}
	}
	return u
}

// procCPU returns the user and system time of a local Postgres process.
func procCPU(pid int) (float64, bool) {
	dir := "/proc/" + strconv.Itoa(pid)
	comm, err := os.ReadFile(dir + "/comm")
	if err != nil || !strings.HasPrefix(string(comm), "postgres") {
		return 0, false // not on this machine, or not Postgres
	}
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return 0, false
	}
	// Fields after the parenthesized command: state is field 3, utime 14
	// and stime 15.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return (ut + st) / clockTicks, true
}

// since returns the database's and this process's CPU seconds from earlier
// to u, and the database's transactions (-1 if unknown). A backend that
// started meanwhile counts whole; one that ended is lost (the pools keep
// theirs).
func (u cpuUse) since(earlier cpuUse) (db, self, xacts float64) {
	for pid, s := range u.backends {
		db += s - earlier.backends[pid]
	}
	xacts = -1
	if u.xacts >= 0 && earlier.xacts >= 0 {
		xacts = u.xacts - earlier.xacts
	}
	return db, u.self - earlier.self, xacts
}

// selfCPU is this process's user and system time, in seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
