#pragma once
// The status line and header fields of a server's answer, written straight into a reused string:
// what Beast's serializer wrote for the same answer, byte for byte
// (tests/net/http_response_head_test compares them), without its per-answer field allocations. The
// body follows it on the wire as a second buffer of the same write, so a shared body (GET /chain)
// is never copied.
#include <string>

#include "yournet/http_message.hpp"

namespace yournet::net {

// Replaces `out` with the head of `answer` for a request of HTTP `version` (10 or 11): status line,
// Server, Content-Type, the answer's extra headers, Connection when it differs from the version's
// default and Content-Length (always, as Beast wrote it: the node never answers 1xx, 204 or 304),
// then the blank line. Header names and values come from the node, never from a request: they are
// not escaped.
void write_response_head(std::string& out, const HttpResponse& answer, unsigned version,
                         bool keep_alive);

}  // namespace yournet::net
