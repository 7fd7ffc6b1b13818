// Entity-tag and date comparisons of the conditional request headers (RFC 9110 8.8.3, 13.1). Only the
// comparisons: the file handler applies them in the order of RFC 9110 13.2.2.
//
//   If-None-Match: "1a-5f", W/"1a-5f"     weak comparison: W/ ignored on either side
//   If-Match: "1a-5f"                     strong comparison: a weak tag never matches
//   If-Range: "1a-5f"  or  If-Range: <HTTP-date>
//
// etag arguments are full entity-tags with their quotes (`"1a-5f"`, or `W/"1a-5f"`). An entity-tag's
// opaque part may hold commas, so lists are split by reading tags, not by searching for commas.
#pragma once

#include <cstdint>
#include <string_view>

namespace uvhttp {

// If-None-Match: true when the value is "*" or its list holds a tag weakly equal to etag. A malformed
// list element is skipped up to the next comma and never matches; "*" inside a list is malformed.
// An empty etag matches nothing but "*".
bool none_match(std::string_view field_value, std::string_view etag);

// If-Match: true when the value is "*" or its list holds a tag strongly equal to etag (neither weak).
// An empty list (an empty field value) matches nothing.
bool any_match_strong(std::string_view field_value, std::string_view etag);

// If-Range: true when value is one strong entity-tag equal to etag, or an HTTP-date equal to
// last_modified when has_last_modified. A weak tag, a list, or anything else never matches.
bool if_range_matches(std::string_view value, std::string_view etag, bool has_last_modified, int64_t last_modified);

}  // namespace uvhttp
