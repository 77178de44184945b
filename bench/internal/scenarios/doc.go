// Package scenarios holds tlvbench's measuring subcommands (gather, run,
// execd, agent, hostcost) and the contenders that gather and run compare.
// Each subcommand is one exported function taking its arguments; the
// command in the parent directory only dispatches to them.
package scenarios
