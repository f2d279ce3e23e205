#pragma once
// Bytes taken from input (a request's path, a peer's answer, the text a parser quotes), made safe
// to quote in a message: messages end up in JSON logs, traces and answers, which must be valid
// UTF-8, and a single stray byte would make writing them throw.
#include <cstddef>
#include <string>
#include <string_view>

namespace yournet {

// Valid UTF-8 characters are kept; any other byte, and every control character, is written as
// \xNN. Past `max_bytes` of output the text is cut at a character boundary and ends with "...".
std::string printable(std::string_view bytes, std::size_t max_bytes = 200);

// The length of the valid UTF-8 character at the start of `bytes` (shortest form, no surrogate,
// at most U+10FFFF); 0 if there is none.
std::size_t utf8_char_length(std::string_view bytes);

// Whether `bytes` is valid UTF-8 throughout.
bool is_utf8(std::string_view bytes);

}  // namespace yournet
