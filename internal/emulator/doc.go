// Package emulator serves a local stand-in for the CenturyLink Cloud login API
// and the part of the Runner API that reads the executions of a job.
//
// The public service is gone, so the provider's tests and demo run against this
// emulator instead. It answers POST /v2/authentication/login,
// GET /jobs/{accountAlias}/{jobId}/executions and
// GET /jobs/{accountAlias}/{jobId}/executions/{executionId} from one HTTP
// server, records every request it receives, and only ever listens on a
// loopback address. ScheduleTransition lets a running execution finish after
// a delay.
//
// Executions are served byte for byte as they are given (apart from
// insignificant whitespace), so fixtures can reproduce every shape the API has
// been seen to return: the bare array of the 2015 documentation page and the
// later paged envelope, with either execution shape inside.
//
// For tests of fault tolerance, Config.Faults scripts misbehaviours per
// request (a status with Retry-After, a delay, a replaced or cut-off body, a
// closed connection) and Config.TokenUses makes tokens expire.
package emulator
