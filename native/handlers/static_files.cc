#include "handlers/static_files.h"

#include <cstdio>
#include <ctime>
#include <random>

#include "handlers/file_path.h"
#include "http/conditional.h"
#include "http/field_name.h"
#include "http/http_date.h"

namespace uvhttp {

namespace {

bool covers(std::string_view prefix, std::string_view path) {
  return path.size() >= prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
         (path.size() == prefix.size() || path[prefix.size()] == '/');
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool contains_ci(std::string_view haystack, std::string_view lower_needle) {
  if (haystack.size() < lower_needle.size()) return false;
  for (size_t i = 0; i + lower_needle.size() <= haystack.size(); ++i) {
    size_t j = 0;
    while (j < lower_needle.size() && lower(haystack[i + j]) == lower_needle[j]) ++j;
    if (j == lower_needle.size()) return true;
  }
  return false;
}

std::string_view value_of(const HeaderField &f) { return std::string_view(f.value, f.value_len); }

template <typename F> void for_each_field(const RequestHead *head, std::string_view lower_name, F &&f) {
  for (size_t i = 0; i < head->num_headers; ++i)
    if (field_name_is(head->headers[i], lower_name)) f(value_of(head->headers[i]));
}

void append_number(std::string &out, uint64_t n) {
  char buf[24];
  const int len = std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(n));
  out.append(buf, static_cast<size_t>(len));
}

void append_content_range(std::string &out, const ByteRange &r, uint64_t size) {
  out.append("Content-Range: bytes ");
  append_number(out, r.first);
  out.push_back('-');
  append_number(out, r.last);
  out.push_back('/');
  append_number(out, size);
  out.append("\r\n");
}

// The fields a file response carries after its framing: validators, caching, and (not on a 304,
// RFC 9110 15.4.5) the ranges and coding of the representation; then the mount's own fields.
void append_file_fields(std::string &head, const MountOptions &o, std::string_view etag, const char *last_modified,
                        bool vary, int coding, bool not_modified) {
  if (o.etag) {
    head.append("ETag: ");
    head.append(etag);
    head.append("\r\n");
  }
  if (o.last_modified) {
    head.append("Last-Modified: ");
    head.append(last_modified, kHttpDateLength);
    head.append("\r\n");
  }
  if (!o.cache_control.empty()) {
    head.append("Cache-Control: ");
    head.append(o.cache_control);
    head.append("\r\n");
  }
  if (!not_modified) head.append("Accept-Ranges: bytes\r\n");
  if (vary || coding >= 0) head.append("Vary: Accept-Encoding\r\n");
  if (!not_modified && coding >= 0) {
    head.append("Content-Encoding: ");
    head.append(coding_token(static_cast<ContentCoding>(coding)));
    head.append("\r\n");
  }
  head.append(o.extra_headers);
}

} // namespace

// The request's fields this handler reads, found in one pass over the head.
struct StaticFiles::Headers {
  const RequestHead *head;
  std::string_view range;
  std::string_view if_range;
  std::string_view if_modified_since;
  std::string_view if_unmodified_since;
  bool if_none_match = false;
  bool if_match = false;
  bool accept_encoding = false;
  bool accepts_html = false;

  explicit Headers(const RequestHead *h) : head(h) {
    for (size_t i = 0; i < h->num_headers; ++i) {
      const HeaderField &f = h->headers[i];
      switch (f.name_len) {
      case 5:
        if (field_name_is(f, "range")) range = value_of(f);
        break;
      case 6:
        if (field_name_is(f, "accept") && contains_ci(value_of(f), "text/html")) accepts_html = true;
        break;
      case 8:
        if (field_name_is(f, "if-match")) if_match = true;
        else if (field_name_is(f, "if-range")) if_range = value_of(f);
        break;
      case 13:
        if (field_name_is(f, "if-none-match")) if_none_match = true;
        break;
      case 15:
        if (field_name_is(f, "accept-encoding")) accept_encoding = true;
        break;
      case 17:
        if (field_name_is(f, "if-modified-since")) if_modified_since = value_of(f);
        break;
      case 19:
        if (field_name_is(f, "if-unmodified-since")) if_unmodified_since = value_of(f);
        break;
      }
    }
  }
};

StaticFiles::~StaticFiles() {
  for (auto &m : mounts_) {
    cache_.drop(m->table);
    close_root(&m->root);
  }
}

std::string StaticFiles::mount(std::string_view prefix, const std::string &root, MountOptions options) {
  auto m = std::make_unique<Mount>();
  m->prefix = std::string(prefix);
  m->at_root = prefix == "/";
  m->options = std::move(options);
  std::string err = open_root(root, &m->root);
  if (!err.empty()) return err;
  // Longest prefix first; equal lengths keep registration order.
  auto at = mounts_.begin();
  while (at != mounts_.end() && (*at)->prefix.size() >= m->prefix.size()) ++at;
  mounts_.insert(at, std::move(m));
  if (boundary_.empty()) {
    std::random_device rd;
    char b[40];
    std::snprintf(b, sizeof(b), "uvhttp-%08x%08x", rd(), rd());
    boundary_ = b;
  }
  return {};
}

void StaticFiles::error(HttpError e, FileReply *out) {
  out->kind = FileReply::Kind::Error;
  out->error = e;
}

void StaticFiles::handle(const FileRequest &r, uint64_t now, FileReply *out) {
  cache_.trim(); // in case the previous reply never reached done(): no entry is held now
  *out = FileReply{};
  parts_.clear();
  out->parts = &parts_;
  Headers h(r.head);
  const bool readable = r.method == Method::Get || r.method == Method::Head;
  for (auto &mp : mounts_) {
    Mount &m = *mp;
    if (!m.at_root && !covers(m.prefix, r.path)) continue;
    const std::string_view rest = m.at_root ? r.path : r.path.substr(m.prefix.size());
    bool slash = false;
    switch (map_url_path(rest, m.options.allow_dotfiles, &relative_, &slash)) {
    case PathResult::BadRequest: return error(HttpError::BadPath, out);
    case PathResult::Dotfile: return error(HttpError::NotFound, out);
    case PathResult::Ok: break;
    }
    if (serve_path(m, slash, r, h, now, out) == Outcome::Done) return;
    if (!m.options.spa.empty() && readable && h.accepts_html) {
      // Client-side routing: an HTML navigation that names no file gets the application's page.
      relative_ = m.options.spa;
      CachedFile *e = cache_.get(m.table, m.root, relative_, now);
      if (e->kind == CachedFile::Kind::File && serve_file(m, e, r, h, now, out) == Outcome::Done) return;
    }
    if (!m.options.fallthrough) return error(HttpError::NotFound, out);
  }
  out->kind = FileReply::Kind::Pass;
}

StaticFiles::Outcome StaticFiles::serve_path(Mount &m, bool trailing_slash, const FileRequest &r, Headers &h,
                                             uint64_t now, FileReply *out) {
  CachedFile *e = cache_.get(m.table, m.root, relative_, now);
  switch (e->kind) {
  case CachedFile::Kind::Missing: return Outcome::Miss;
  case CachedFile::Kind::Forbidden: error(HttpError::Forbidden, out); return Outcome::Done;
  case CachedFile::Kind::Failed: error(HttpError::FileUnavailable, out); return Outcome::Done;
  case CachedFile::Kind::File:
    if (trailing_slash) return Outcome::Miss; // "/file.txt/" names a directory that is not there
    return serve_file(m, e, r, h, now, out);
  case CachedFile::Kind::Directory: break;
  }
  if (r.method != Method::Get && r.method != Method::Head) {
    error(HttpError::MethodNotAllowed, out);
    return Outcome::Done;
  }
  if (!trailing_slash) {
    redirect_to_directory(r, out);
    return Outcome::Done;
  }
  if (m.options.index.empty()) return Outcome::Miss;
  if (!relative_.empty()) relative_.push_back('/');
  relative_.append(m.options.index);
  CachedFile *index = cache_.get(m.table, m.root, relative_, now);
  switch (index->kind) {
  case CachedFile::Kind::File: return serve_file(m, index, r, h, now, out);
  case CachedFile::Kind::Forbidden: error(HttpError::Forbidden, out); return Outcome::Done;
  case CachedFile::Kind::Failed: error(HttpError::FileUnavailable, out); return Outcome::Done;
  default: return Outcome::Miss;
  }
}

void StaticFiles::redirect_to_directory(const FileRequest &r, FileReply *out) {
  static constexpr std::string_view kBody = "Moved Permanently";
  head_.assign("HTTP/1.1 301 Moved Permanently\r\nLocation: /");
  // One leading '/' only: "//evil.com/" would send the browser to another host.
  std::string_view path = r.path;
  while (!path.empty() && path[0] == '/') path.remove_prefix(1);
  head_.append(path);
  head_.push_back('/');
  if (r.has_query) {
    head_.push_back('?');
    head_.append(r.query);
  }
  head_.append("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ");
  append_number(head_, kBody.size());
  head_.append("\r\n");
  out->kind = FileReply::Kind::Response;
  out->head = head_;
  out->body = kBody;
  out->omit_body = r.method == Method::Head;
}

const std::string &StaticFiles::head_for(Mount &m, CachedFile *e, std::string_view etag, bool vary, int coding) {
  std::string &head = coding >= 0 ? e->head_variant : e->head_direct;
  if (!head.empty() && (coding >= 0 || e->head_direct_vary == vary)) return head;
  head.assign("HTTP/1.1 200 OK\r\nContent-Type: ");
  head.append(type_of(e, coding));
  head.append("\r\nContent-Length: ");
  append_number(head, e->info.size);
  head.append("\r\n");
  append_file_fields(head, m.options, etag, e->last_modified, vary, coding, false);
  if (coding < 0) e->head_direct_vary = vary;
  return head;
}

std::string_view StaticFiles::type_of(const CachedFile *e, int coding) const {
  // A variant has the type of the file it compresses: its name without the coding's suffix.
  std::string_view name = e->path;
  if (coding >= 0) name.remove_suffix(coding_suffix(static_cast<ContentCoding>(coding)).size());
  return types_.lookup(name);
}

StaticFiles::Outcome StaticFiles::serve_file(Mount &m, CachedFile *e, const FileRequest &r, Headers &h, uint64_t now,
                                             FileReply *out) {
  if (r.method != Method::Get && r.method != Method::Head) {
    error(HttpError::MethodNotAllowed, out);
    return Outcome::Done;
  }
  const MountOptions &o = m.options;
  const bool is_head = r.method == Method::Head;

  // Which representation: the file, or a precompressed sibling the client accepts.
  CachedFile *rep = e;
  int coding = -1;
  bool vary = false;
  if (!o.precompressed.empty()) {
    if (!e->variants_known || now - e->variants_checked_at >= cache_.limits().valid_ms) {
      e->variants_known = true;
      e->variants_checked_at = now;
      for (ContentCoding c : o.precompressed) {
        sibling_.assign(e->path);
        sibling_.append(coding_suffix(c));
        const CachedFile *s = cache_.get(m.table, m.root, sibling_, now);
        e->has_variant[static_cast<size_t>(c)] = s->kind == CachedFile::Kind::File;
      }
      e->any_variant = false;
      for (ContentCoding c : o.precompressed) e->any_variant = e->any_variant || e->has_variant[static_cast<size_t>(c)];
    }
    vary = e->any_variant;
    if (vary && h.accept_encoding) {
      AcceptEncoding ae;
      init_accept_encoding(&ae);
      for_each_field(h.head, "accept-encoding", [&ae](std::string_view v) { add_accept_encoding(&ae, v); });
      const int c = choose_coding(ae, e->has_variant, o.precompressed.data(), o.precompressed.size());
      if (c >= 0) {
        sibling_.assign(e->path);
        sibling_.append(coding_suffix(static_cast<ContentCoding>(c)));
        CachedFile *s = cache_.get(m.table, m.root, sibling_, now);
        if (s->kind == CachedFile::Kind::File) {
          rep = s;
          coding = c;
        }
      }
    }
  }

  std::string_view etag = rep->etag;
  if (coding >= 0) {
    etag_.assign(rep->etag, 0, rep->etag.size() - 1);
    etag_.push_back('-');
    etag_.append(coding_suffix(static_cast<ContentCoding>(coding)).substr(1));
    etag_.push_back('"');
    etag = etag_;
  }

  // Preconditions, in RFC 9110 13.2.2's order.
  int64_t date = 0;
  if (h.if_match) {
    bool ok = false;
    for_each_field(h.head, "if-match", [&](std::string_view v) { ok = ok || any_match_strong(v, etag); });
    if (!ok) {
      error(HttpError::PreconditionFailed, out);
      return Outcome::Done;
    }
  } else if (!h.if_unmodified_since.empty() && parse_http_date(h.if_unmodified_since, &date) && rep->mtime_s > date) {
    error(HttpError::PreconditionFailed, out);
    return Outcome::Done;
  }
  bool not_modified = false;
  if (h.if_none_match) {
    for_each_field(h.head, "if-none-match", [&](std::string_view v) { not_modified = not_modified || none_match(v, etag); });
  } else if (!h.if_modified_since.empty() && parse_http_date(h.if_modified_since, &date)) {
    not_modified = rep->mtime_s <= date;
  }
  if (not_modified) {
    head_.assign("HTTP/1.1 304 Not Modified\r\n");
    append_file_fields(head_, o, etag, rep->last_modified, vary, coding, true);
    out->kind = FileReply::Kind::Response;
    out->head = head_;
    out->omit_body = true;
    ++stats_.not_modified;
    return Outcome::Done;
  }

  const uint64_t size = rep->info.size;
  size_t count = 0;
  RangeResult ranged = RangeResult::Ignore;
  if (r.method == Method::Get && !h.range.empty()) {
    // If-Range may use a date only when Last-Modified is strong: at least a second older than now
    // (RFC 9110 8.8.2.2), else a file rewritten within that second could get a spliced range.
    const bool strong_date = o.last_modified && rep->mtime_s < static_cast<int64_t>(std::time(nullptr));
    if (h.if_range.empty() || if_range_matches(h.if_range, etag, strong_date, rep->mtime_s))
      ranged = parse_range(h.range, size, ranges_, kMaxRanges, &count);
  }

  out->kind = FileReply::Kind::Response;
  out->omit_body = is_head;
  if (ranged == RangeResult::Unsatisfiable) {
    const ErrorResponse &er = error_response(HttpError::RangeNotSatisfiable);
    head_.assign(er.status_line);
    head_.append("Content-Range: bytes */");
    append_number(head_, size);
    head_.append("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ");
    append_number(head_, er.body.size());
    head_.append("\r\n");
    out->head = head_;
    out->body = er.body;
    return Outcome::Done;
  }

  auto add_body = [&](uint64_t offset, uint64_t length) {
    if (rep->in_memory()) {
      parts_.push_back(BodyPart{std::string_view(rep->bytes).substr(offset, length), FileRange{}});
    } else if (length > 0) {
      parts_.push_back(BodyPart{{}, FileRange{rep->file, offset, length}});
    }
  };
  auto count_body = [&]() {
    if (is_head) return;
    if (rep->in_memory()) {
      ++stats_.memory_hits;
    } else {
      ++stats_.sendfile_responses;
    }
  };

  if (ranged != RangeResult::Satisfiable) {
    out->head = head_for(m, rep, etag, vary, coding);
    if (rep->in_memory()) {
      out->body = rep->bytes;
    } else if (!is_head) {
      add_body(0, size);
    }
    count_body();
    return Outcome::Done;
  }

  // A head like the 200's, for a part of the file: built per request (ranges are not the hot path).
  const std::string_view type = type_of(rep, coding);
  head_.assign("HTTP/1.1 206 Partial Content\r\n");
  if (count == 1) {
    const ByteRange &b = ranges_[0];
    head_.append("Content-Type: ");
    head_.append(type);
    head_.append("\r\nContent-Length: ");
    append_number(head_, b.last - b.first + 1);
    head_.append("\r\n");
    append_content_range(head_, b, size);
    if (!is_head) add_body(b.first, b.last - b.first + 1);
  } else {
    // multipart/byteranges (RFC 9110 14.6): each part has its own type and range.
    part_heads_.resize(count);
    uint64_t length = 0;
    for (size_t i = 0; i < count; ++i) {
      std::string &ph = part_heads_[i];
      ph.assign("--");
      ph.append(boundary_);
      ph.append("\r\nContent-Type: ");
      ph.append(type);
      ph.append("\r\n");
      append_content_range(ph, ranges_[i], size);
      ph.append("\r\n");
      length += ph.size() + (ranges_[i].last - ranges_[i].first + 1) + 2;
    }
    body_.assign("--");
    body_.append(boundary_);
    body_.append("--\r\n");
    length += body_.size();
    head_.append("Content-Type: multipart/byteranges; boundary=");
    head_.append(boundary_);
    head_.append("\r\nContent-Length: ");
    append_number(head_, length);
    head_.append("\r\n");
    for (size_t i = 0; i < count; ++i) {
      parts_.push_back(BodyPart{part_heads_[i], FileRange{}});
      add_body(ranges_[i].first, ranges_[i].last - ranges_[i].first + 1);
      parts_.push_back(BodyPart{"\r\n", FileRange{}});
    }
    parts_.push_back(BodyPart{body_, FileRange{}});
  }
  append_file_fields(head_, o, etag, rep->last_modified, vary, coding, false);
  out->head = head_;
  count_body();
  return Outcome::Done;
}

} // namespace uvhttp
