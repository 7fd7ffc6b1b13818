// The N-API face of the server: argument checks, the shared batch buffers, and the one JS call per
// loop iteration. Everything below this file is plain C++ on libuv.
#include <napi.h>
#include <uv.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "core/server.h"
#include "http/http_errors.h"

namespace uvhttp {

namespace {

constexpr size_t kInitialBatchBytes = 256 * 1024;
constexpr size_t kInitialBatchWords = 16 * 1024;
// At environment teardown no JS runs again, so a response a handler owes never comes: connections
// waiting for one are closed at this deadline (the tick checks it once a second).
constexpr uint64_t kTeardownDeadlineMs = 1000;

uint64_t option(const Napi::Object &o, const char *name, uint64_t fallback) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber() || v.As<Napi::Number>().DoubleValue() < 0)
    throw Napi::TypeError::New(o.Env(), std::string("option ") + name + " must be a non-negative number");
  return static_cast<uint64_t>(v.As<Napi::Number>().DoubleValue());
}

// A refused route: an Error whose `reason` ('invalid' or 'duplicate') lib/app.ts turns into its coded error.
void throw_if(Napi::Env env, const RouteError &err) {
  if (!err) return;
  Napi::Error e = Napi::Error::New(env, err.message);
  e.Set("reason", err.kind == RouteError::Kind::Duplicate ? "duplicate" : "invalid");
  throw e;
}

// { stream?: boolean, bodyLimit?: number } (lib/app.ts checked it); Infinity: no limit.
RouteBody route_body(Napi::Env env, const Napi::Value &v) {
  RouteBody b;
  if (v.IsUndefined()) return b;
  if (!v.IsObject()) throw Napi::TypeError::New(env, "route options must be an object");
  const Napi::Object o = v.As<Napi::Object>();
  b.stream = o.Get("stream").ToBoolean().Value();
  const Napi::Value limit = o.Get("bodyLimit");
  if (limit.IsNumber()) {
    const double d = limit.As<Napi::Number>().DoubleValue();
    if (!(d >= 0)) throw Napi::RangeError::New(env, "bodyLimit must be a non-negative number");
    b.has_limit = true;
    b.limit = d >= 18446744073709551615.0 ? UINT64_MAX : static_cast<uint64_t>(d);
  }
  return b;
}

std::string string_arg(const Napi::CallbackInfo &info, size_t i, const char *what) {
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

} // namespace

class ServerWrap : public Napi::ObjectWrap<ServerWrap>, public JsBridge, public BatchStorage {
public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeServer",
                       {
                           InstanceMethod<&ServerWrap::AddStatic>("addStatic"),
                           InstanceMethod<&ServerWrap::AddRoute>("addRoute"),
                           InstanceMethod<&ServerWrap::ServeDir>("serveDir"),
                           InstanceMethod<&ServerWrap::SetFallback>("setFallback"),
                           InstanceMethod<&ServerWrap::SetNotAllowed>("setNotAllowed"),
                           InstanceMethod<&ServerWrap::AllowOf>("allowOf"),
                           InstanceMethod<&ServerWrap::Inject>("inject"),
                           InstanceMethod<&ServerWrap::SetOutput>("setOutput"),
                           InstanceMethod<&ServerWrap::Listen>("listen"),
                           InstanceMethod<&ServerWrap::Close>("close"),
                           InstanceMethod<&ServerWrap::Flush>("flush"),
                           InstanceMethod<&ServerWrap::Stats>("stats"),
                           InstanceMethod<&ServerWrap::Peer>("peer"),
                           InstanceMethod<&ServerWrap::ReopenAccessLog>("reopenAccessLog"),
                           InstanceMethod<&ServerWrap::SetAccessLog>("setAccessLog"),
                           InstanceMethod<&ServerWrap::SetCache>("setCache"),
                           InstanceMethod<&ServerWrap::PurgeCache>("purgeCache"),
                           InstanceMethod<&ServerWrap::ReadBody>("readBody"),
                       });
  }

  // new NativeServer(options, dispatch(count, data?, meta?), onClosed(), onClientError(status, reason),
  //                  onAborted(words: Uint32Array), onDrained(ids: Uint32Array), onBodyReady(ids: Uint32Array))
  explicit ServerWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<ServerWrap>(info), env_(info.Env()) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject() || !info[1].IsFunction() || !info[2].IsFunction() || !info[3].IsFunction() ||
        !info[4].IsFunction() || !info[5].IsFunction() || !info[6].IsFunction())
      throw Napi::TypeError::New(env, "NativeServer(options, dispatch, onClosed, onClientError, onAborted, onDrained, onBodyReady)");
    Napi::Object o = info[0].As<Napi::Object>();
    ServerOptions opt;
    SessionLimits &lim = opt.limits;
    lim.body_limit = option(o, "bodyLimit", lim.body_limit);
    lim.max_header_size = option(o, "maxHeaderSize", lim.max_header_size);
    lim.max_target_length = option(o, "maxTargetLength", lim.max_target_length);
    opt.max_connections = static_cast<uint32_t>(option(o, "maxConnections", opt.max_connections));
    opt.headers_timeout_ms = option(o, "headersTimeout", opt.headers_timeout_ms);
    opt.request_timeout_ms = option(o, "requestTimeout", opt.request_timeout_ms);
    // Only a requestTimeout the user chose limits handlers too: by default a handler takes its time.
    if (!o.Get("requestTimeout").IsUndefined()) opt.response_timeout_ms = opt.request_timeout_ms;
    opt.keep_alive_timeout_ms = option(o, "keepAliveTimeout", opt.keep_alive_timeout_ms);
    opt.body_timeout_ms = option(o, "bodyTimeout", opt.body_timeout_ms);
    opt.write_timeout_ms = option(o, "writeTimeout", opt.write_timeout_ms);
    opt.max_output = option(o, "maxOutput", opt.max_output);
    opt.ignore_trailing_slash = o.Get("ignoreTrailingSlash").ToBoolean();
    opt.proxy_protocol = o.Get("proxyProtocol").ToBoolean();
    // UVHTTP_POLLER=uv: a uv_poll_t per socket instead of the epoll set, where both build (the tests
    // run both; io/poll_group.h). Read per server, never at load.
    if (const char *poller = std::getenv("UVHTTP_POLLER")) {
      if (std::strcmp(poller, "uv") == 0) opt.poll_backend = PollBackend::Uv;
      else if (std::strcmp(poller, "epoll") == 0) opt.poll_backend = PollBackend::Epoll;
    }
    FileCacheLimits &fc = opt.file_cache;
    fc.max_entries = option(o, "fileCacheMaxEntries", fc.max_entries);
    fc.max_open_files = option(o, "fileCacheMaxOpenFiles", fc.max_open_files);
    fc.max_bytes = option(o, "fileCacheMaxBytes", fc.max_bytes);
    fc.max_file_size = option(o, "fileCacheMaxFileSize", fc.max_file_size);
    fc.valid_ms = option(o, "fileCacheValidMs", fc.valid_ms);
    if (lim.body_limit > 0x7fffffffu)
      throw Napi::RangeError::New(env, "bodyLimit must be below 2 GiB");

    dispatch_ = Napi::Persistent(info[1].As<Napi::Function>());
    on_closed_ = Napi::Persistent(info[2].As<Napi::Function>());
    on_client_error_ = Napi::Persistent(info[3].As<Napi::Function>());
    on_aborted_ = Napi::Persistent(info[4].As<Napi::Function>());
    on_drained_ = Napi::Persistent(info[5].As<Napi::Function>());
    on_body_ready_ = Napi::Persistent(info[6].As<Napi::Function>());

    uv_loop_t *loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop)
      throw Napi::Error::New(env, "no event loop");
    if (!allocate(kInitialBatchBytes, kInitialBatchWords, 0, 0))
      throw Napi::Error::New(env, "out of memory");
    server_ = std::make_unique<Server>(loop, opt, this, this);

    Napi::Value format = o.Get("accessLogFormat");
    if (format.IsNumber()) open_access_log(env, o.Get("accessLogPath"), format);
  }

private:
  // addStatic(method, path, head, body): head is the status line and header fields, CRLF-ended.
  Napi::Value AddStatic(const Napi::CallbackInfo &info) {
    std::string method = string_arg(info, 0, "method");
    std::string path = string_arg(info, 1, "path");
    StaticResponse r;
    r.head = string_arg(info, 2, "head");
    if (!info[3].IsBuffer()) throw Napi::TypeError::New(info.Env(), "body must be a Buffer");
    auto body = info[3].As<Napi::Buffer<char>>();
    r.body.assign(body.Data(), body.Length());
    throw_if(info.Env(), server_->add_static(method, path, std::move(r)));
    return info.Env().Undefined();
  }

  Napi::Value AddRoute(const Napi::CallbackInfo &info) {
    std::string method = string_arg(info, 0, "method");
    std::string path = string_arg(info, 1, "path");
    if (!info[2].IsNumber()) throw Napi::TypeError::New(info.Env(), "handler id must be a number");
    throw_if(info.Env(), server_->add_dynamic(method, path, info[2].As<Napi::Number>().Uint32Value(),
                                              route_body(info.Env(), info[3])));
    return info.Env().Undefined();
  }

  // setFallback(handlerId, options?): what no route or directory takes goes to that handler instead
  // of a 404.
  Napi::Value SetFallback(const Napi::CallbackInfo &info) {
    if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "handler id must be a number");
    server_->set_fallback(info[0].As<Napi::Number>().Uint32Value(), route_body(info.Env(), info[1]));
    return info.Env().Undefined();
  }

  // setNotAllowed(handlerId): 405s go to that handler instead of the canned response.
  Napi::Value SetNotAllowed(const Napi::CallbackInfo &info) {
    if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "handler id must be a number");
    server_->set_not_allowed(info[0].As<Napi::Number>().Uint32Value());
    return info.Env().Undefined();
  }

  // allowOf(method, path): the Allow value of a 405 for that request ('' when it is not one).
  Napi::Value AllowOf(const Napi::CallbackInfo &info) {
    std::string method = string_arg(info, 0, "method");
    std::string path = string_arg(info, 1, "path");
    return Napi::String::New(info.Env(), server_->allow_of(method, path));
  }

  // serveDir(prefix, root, options, types): options as lib/files.ts checked and rendered them; types
  // the extension table (MimeTypes::load), used by the first call.
  Napi::Value ServeDir(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::string prefix = string_arg(info, 0, "prefix");
    std::string root = string_arg(info, 1, "root");
    if (!info[2].IsObject()) throw Napi::TypeError::New(env, "options must be an object");
    std::string types = string_arg(info, 3, "types");
    Napi::Object o = info[2].As<Napi::Object>();
    auto str = [&](const char *k) {
      Napi::Value v = o.Get(k);
      if (!v.IsString()) throw Napi::TypeError::New(env, std::string(k) + " must be a string");
      return v.As<Napi::String>().Utf8Value();
    };
    auto flag = [&](const char *k) {
      Napi::Value v = o.Get(k);
      if (!v.IsBoolean()) throw Napi::TypeError::New(env, std::string(k) + " must be a boolean");
      return v.As<Napi::Boolean>().Value();
    };
    MountOptions m;
    m.index = str("index");
    m.allow_dotfiles = flag("allowDotfiles");
    m.etag = flag("etag");
    m.last_modified = flag("lastModified");
    m.cache_control = str("cacheControl");
    m.extra_headers = str("headers");
    m.spa = str("spa");
    m.fallthrough = flag("fallthrough");
    m.precompressed.clear();
    const std::string codings = str("precompressed"); // "br,gzip"
    size_t pos = 0;
    while (pos < codings.size()) {
      size_t end = codings.find(',', pos);
      if (end == std::string::npos) end = codings.size();
      const std::string_view c(codings.data() + pos, end - pos);
      if (c == "br") m.precompressed.push_back(ContentCoding::Br);
      else if (c == "gzip") m.precompressed.push_back(ContentCoding::Gzip);
      else if (c == "zstd") m.precompressed.push_back(ContentCoding::Zstd);
      else throw Napi::TypeError::New(env, "unknown coding " + std::string(c));
      pos = end + 1;
    }
    std::string err = server_->add_files(prefix, root, std::move(m), types);
    if (!err.empty()) {
      Napi::Error e = Napi::Error::New(env, err);
      e.Set("code", Napi::String::New(env, "UVHTTP_ERR_SERVE_DIR"));
      throw e;
    }
    return env.Undefined();
  }

  // setOutput(data: Buffer, records: Int32Array): where JS writes its responses (see Server).
  Napi::Value SetOutput(const Napi::CallbackInfo &info) {
    if (!info[0].IsBuffer() || !info[1].IsTypedArray())
      throw Napi::TypeError::New(info.Env(), "setOutput(Buffer, Int32Array)");
    auto data = info[0].As<Napi::Buffer<uint8_t>>();
    auto records = info[1].As<Napi::TypedArray>();
    if (records.TypedArrayType() != napi_int32_array)
      throw Napi::TypeError::New(info.Env(), "records must be an Int32Array");
    if (records.ElementLength() < 1 + Server::kResponseWords)
      throw Napi::RangeError::New(info.Env(), "records is too short");
    out_data_ = Napi::Persistent(data);
    out_records_ = Napi::Persistent(records.As<Napi::Int32Array>());
    output_.data = data.Data();
    output_.data_len = data.Length();
    output_.records = records.As<Napi::Int32Array>().Data();
    output_.max_records = (records.ElementLength() - 1) / Server::kResponseWords;
    return info.Env().Undefined();
  }

  // listen({ host, port } | { path, mode? } | { fd }, backlog?, reusePort?), lib/app.ts checked it.
  Napi::Value Listen(const Napi::CallbackInfo &info) {
    if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "listen takes an object");
    if (!output_.records) throw Napi::Error::New(info.Env(), "setOutput must be called before listen");
    Napi::Object o = info[0].As<Napi::Object>();
    ListenSpec spec;
    auto number = [&](const char *k, int fallback) {
      Napi::Value v = o.Get(k);
      return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : fallback;
    };
    std::string where;
    if (o.Get("path").IsString()) {
      spec.kind = ListenSpec::Kind::Unix;
      spec.path = o.Get("path").As<Napi::String>().Utf8Value();
      spec.mode = static_cast<unsigned>(number("mode", 0));
      where = spec.path;
    } else if (o.Get("fd").IsNumber()) {
      spec.kind = ListenSpec::Kind::Fd;
      spec.fd = number("fd", -1);
      where = "fd " + std::to_string(spec.fd);
    } else {
      spec.host = o.Get("host").IsString() ? o.Get("host").As<Napi::String>().Utf8Value() : "0.0.0.0";
      spec.port = number("port", 0);
      where = spec.host + ":" + std::to_string(spec.port);
    }
    spec.backlog = number("backlog", 0);
    spec.reuse_port = o.Get("reusePort").ToBoolean();
    std::string address;
    int port = 0;
    int r = server_->listen(spec, &address, &port);
    if (r != 0) {
      Napi::Error e = Napi::Error::New(info.Env(), std::string(uv_strerror(r)) + " (" + where + ")");
      e.Set("code", Napi::String::New(info.Env(), uv_err_name(r)));
      throw e;
    }
    if (!referenced_) {
      Ref(); // the uv handles point at us: stay alive until they are closed
      referenced_ = true;
    }
    watch_env_teardown();
    Napi::Object result = Napi::Object::New(info.Env());
    result.Set("address", address);
    result.Set("port", port);
    return result;
  }

  // inject(): the client end of a socket pair whose other end the server serves as a connection
  // (app.inject), or -1 when it cannot make one.
  Napi::Value Inject(const Napi::CallbackInfo &info) {
    if (!output_.records) throw Napi::Error::New(info.Env(), "setOutput must be called before inject");
    socket_t fd = server_->inject();
    if (fd == kInvalidSocket) return Napi::Number::New(info.Env(), -1);
    if (!referenced_) {
      Ref(); // the uv handles point at us: stay alive until they are closed
      referenced_ = true;
    }
    watch_env_teardown();
    return Napi::Number::New(info.Env(), static_cast<double>(fd));
  }

  // close(timeoutMs): 0 waits for in-flight responses however long they take.
  Napi::Value Close(const Napi::CallbackInfo &info) {
    uint64_t timeout = 0;
    if (info.Length() > 0 && info[0].IsNumber() && info[0].As<Napi::Number>().DoubleValue() > 0)
      timeout = static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue());
    server_->close(timeout);
    return info.Env().Undefined();
  }

  // flush(): take the responses JS wrote outside a batch and send them.
  Napi::Value Flush(const Napi::CallbackInfo &info) {
    server_->flush_from_js(output_);
    return info.Env().Undefined();
  }

  // peer(slot, serialLo, serialHi): { address, port } of the connection's client, or undefined when
  // the connection has gone. Asked only when a handler reads it.
  // setCache(handlerId, { ttl, maxEntries, maxBytes, vary: string[] (lower case) }): lib/cache.ts checks them.
  Napi::Value SetCache(const Napi::CallbackInfo &info) {
    if (!info[0].IsNumber() || !info[1].IsObject()) throw Napi::TypeError::New(info.Env(), "setCache(handlerId, options)");
    Napi::Object o = info[1].As<Napi::Object>();
    CachePolicy p;
    p.ttl_ms = option(o, "ttl", p.ttl_ms);
    p.stale_ms = option(o, "staleWhileRevalidate", p.stale_ms);
    p.max_entries = option(o, "maxEntries", p.max_entries);
    p.max_bytes = option(o, "maxBytes", p.max_bytes);
    Napi::Value vary = o.Get("vary");
    if (vary.IsArray()) {
      Napi::Array names = vary.As<Napi::Array>();
      for (uint32_t i = 0; i < names.Length(); ++i) p.vary.push_back(names.Get(i).As<Napi::String>().Utf8Value());
    }
    server_->set_cache(info[0].As<Napi::Number>().Uint32Value(), std::move(p));
    return info.Env().Undefined();
  }

  // purgeCache(path?): how many cached answers were dropped.
  Napi::Value PurgeCache(const Napi::CallbackInfo &info) {
    const std::string path = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string();
    return Napi::Number::New(info.Env(), static_cast<double>(server_->purge_cache(path)));
  }

  // accessLogFormat: 0 common, 1 combined, 2 JSON lines; accessLogPath: a file, or '' for stdout.
  void open_access_log(Napi::Env env, Napi::Value path_value, Napi::Value format) {
    const std::string path = path_value.IsString() ? path_value.As<Napi::String>().Utf8Value() : "";
    const int f = format.As<Napi::Number>().Int32Value();
    const int err = server_->set_access_log(path, f == 0 ? AccessLogFormat::Common : f == 2 ? AccessLogFormat::Json
                                                                                            : AccessLogFormat::Combined);
    if (err != 0) {
      Napi::Error e = Napi::Error::New(env, "cannot open the access log " + path + ": " + std::strerror(err));
      e.Set("code", Napi::String::New(env, "UVHTTP_ERR_ACCESS_LOG"));
      throw e;
    }
  }

  // setAccessLog(path, format): a log for a server made without one (the CLI's --access-log).
  Napi::Value SetAccessLog(const Napi::CallbackInfo &info) {
    if (!info[1].IsNumber()) throw Napi::TypeError::New(info.Env(), "setAccessLog(path, format)");
    open_access_log(info.Env(), info[0], info[1]);
    return info.Env().Undefined();
  }

  // reopenAccessLog(): undefined, or the reason the path could not be opened (the old file stays).
  Napi::Value ReopenAccessLog(const Napi::CallbackInfo &info) {
    const int err = server_->reopen_access_log();
    if (err == 0) return info.Env().Undefined();
    return Napi::String::New(info.Env(), std::strerror(err));
  }

  Napi::Value Peer(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber())
      throw Napi::TypeError::New(env, "peer(slot, serialLo, serialHi)");
    const uint64_t serial = static_cast<uint64_t>(info[1].As<Napi::Number>().Uint32Value()) |
                            (static_cast<uint64_t>(info[2].As<Napi::Number>().Uint32Value()) << 32);
    std::string address;
    int port = 0;
    if (!server_->peer(info[0].As<Napi::Number>().Uint32Value(), serial, &address, &port)) return env.Undefined();
    Napi::Object o = Napi::Object::New(env);
    o.Set("address", address);
    o.Set("port", port);
    return o;
  }

  // readBody(slot, serialLo, serialHi, seq): the streamed request body's bytes received since the
  // last call (a Buffer), or a number: 0 none yet (onBodyReady tells when), 1 the end, 2 gone (the
  // connection closed, or the body is no longer read), >= 400 the status of why the body failed.
  Napi::Value ReadBody(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsNumber())
      throw Napi::TypeError::New(env, "readBody(slot, serialLo, serialHi, seq)");
    const uint64_t serial = static_cast<uint64_t>(info[1].As<Napi::Number>().Uint32Value()) |
                            (static_cast<uint64_t>(info[2].As<Napi::Number>().Uint32Value()) << 32);
    std::string bytes;
    HttpError error = HttpError::BadRequest;
    switch (server_->take_body(info[0].As<Napi::Number>().Uint32Value(), serial,
                               info[3].As<Napi::Number>().Uint32Value(), &bytes, &error)) {
    case Connection::BodyRead::Data: return Napi::Buffer<char>::Copy(env, bytes.data(), bytes.size());
    case Connection::BodyRead::Wait: return Napi::Number::New(env, 0);
    case Connection::BodyRead::End: return Napi::Number::New(env, 1);
    case Connection::BodyRead::Gone: return Napi::Number::New(env, 2);
    case Connection::BodyRead::Failed: return Napi::Number::New(env, error_response(error).status);
    }
    return Napi::Number::New(env, 2);
  }

  Napi::Value Stats(const Napi::CallbackInfo &info) {
    const ServerStats &s = server_->stats();
    Napi::Object o = Napi::Object::New(info.Env());
    auto set = [&](const char *k, uint64_t v) { o.Set(k, Napi::Number::New(info.Env(), static_cast<double>(v))); };
    set("connections", s.connections);
    set("connectionsTotal", s.connections_total);
    set("connectionsRejected", s.connections_rejected);
    set("connectionsForced", s.connections_forced);
    set("requests", s.requests);
    set("jsDispatches", s.js_dispatches);
    set("responsesDropped", s.responses_dropped);
    set("bufferedBytes", server_->buffered_bytes());
    set("bytesRead", s.bytes_read);
    set("bytesWritten", s.bytes_written);
    set("parseErrors", s.parse_errors);
    set("timeouts", s.timeouts);
    const AccessLog *log = server_->access_log();
    set("accessLogLines", log ? log->lines() : 0);
    set("accessLogDropped", log ? log->dropped() : 0);
    Napi::Object files = Napi::Object::New(info.Env());
    auto fset = [&](const char *k, uint64_t v) { files.Set(k, Napi::Number::New(info.Env(), static_cast<double>(v))); };
    const StaticFiles *f = server_->files();
    fset("memoryHits", f ? f->stats().memory_hits : 0);
    fset("sendfileResponses", f ? f->stats().sendfile_responses : 0);
    fset("notModified", f ? f->stats().not_modified : 0);
    fset("entries", f ? f->cache().entries() : 0);
    fset("openFiles", f ? f->cache().open_files() : 0);
    fset("memoryBytes", f ? f->cache().memory_bytes() : 0);
    o.Set("files", files);
    size_t entries, bytes;
    const CacheStats cs = server_->cache_stats(&entries, &bytes);
    Napi::Object cache = Napi::Object::New(info.Env());
    auto cset = [&](const char *k, uint64_t v) { cache.Set(k, Napi::Number::New(info.Env(), static_cast<double>(v))); };
    cset("hits", cs.hits);
    cset("misses", cs.misses);
    cset("stores", cs.stores);
    cset("evictions", cs.evictions);
    cset("coalesced", cs.coalesced);
    cset("stale", cs.stale);
    cset("entries", entries);
    cset("bytes", bytes);
    o.Set("cache", cache);
    return o;
  }

  // JsBridge ---------------------------------------------------------------------------------

  void run_batch(uint32_t count) override {
    if (tearing_down_) return; // no JS any more: these requests go unanswered and their connections end
    Napi::HandleScope scope(env_);
    napi_value args[3] = {Napi::Number::New(env_, count), env_.Undefined(), env_.Undefined()};
    if (storage_replaced_) {
      args[1] = batch_data_.Value();
      args[2] = batch_meta_.Value();
      storage_replaced_ = false;
    }
    // MakeCallback, not Call: when it returns, Node has run the microtasks and nextTicks the
    // handlers queued, so responses of handlers that awaited resolved promises are in this batch too.
    call(dispatch_, {args[0], args[1], args[2]});
    server_->take_responses(output_);
  }

  void responses_aborted(const uint32_t *words, size_t count) override {
    report(on_aborted_, words, count * 4);
  }

  void connections_drained(const uint32_t *words, size_t count) override {
    report(on_drained_, words, count * 3);
  }

  void bodies_ready(const uint32_t *words, size_t count) override {
    report(on_body_ready_, words, count * 3);
  }

  void report(Napi::FunctionReference &fn, const uint32_t *words, size_t n) {
    if (tearing_down_) return;
    Napi::HandleScope scope(env_);
    Napi::Uint32Array array = Napi::Uint32Array::New(env_, n);
    std::memcpy(array.Data(), words, n * sizeof(uint32_t));
    call(fn, {array});
  }

  void closed() override {
    if (!tearing_down_) {
      Napi::HandleScope scope(env_);
      call(on_closed_, {});
    }
    if (referenced_) {
      referenced_ = false;
      Unref();
    }
    stop_watching_env_teardown(); // during teardown: tells Node our handles are closed
  }

  void client_error(int status, std::string_view reason) override {
    if (tearing_down_) return;
    Napi::HandleScope scope(env_);
    call(on_client_error_, {Napi::Number::New(env_, status),
                            Napi::String::New(env_, reason.data(), reason.size())});
  }

  void call(Napi::FunctionReference &fn, const std::initializer_list<napi_value> &args) {
    try {
      fn.MakeCallback(Value(), args);
    } catch (const Napi::Error &e) {
      // Our JS layer catches handler errors itself; anything that gets here is a bug in it, and
      // belongs to process 'uncaughtException' rather than to a silent drop.
      napi_fatal_exception(env_, e.Value());
    }
  }

  // Environment teardown -----------------------------------------------------------------------
  //
  // A worker thread that exits (process.exit(), worker.terminate(), an uncaught error) while its
  // server is open would leave our uv handles on the worker's loop, and Node aborts when it closes a
  // loop with open handles. So while the server has handles, an async cleanup hook is registered:
  // at teardown it closes the server (listener and idle connections at once, busy ones after their
  // response or the linger timeout) and keeps the environment, and this object, alive until the last
  // close callback, while Node runs the loop (Environment::CleanupHandles waits for the hook). No JS
  // runs from then on. A server closed normally removes the hook.

  void watch_env_teardown() {
    if (cleanup_hook_) return;
    if (napi_add_async_cleanup_hook(env_, &ServerWrap::on_env_teardown, this, &cleanup_hook_) != napi_ok)
      cleanup_hook_ = nullptr;
  }

  void stop_watching_env_teardown() {
    if (!cleanup_hook_) return;
    napi_async_cleanup_hook_handle hook = cleanup_hook_;
    cleanup_hook_ = nullptr;
    napi_remove_async_cleanup_hook(hook);
  }

  static void on_env_teardown(napi_async_cleanup_hook_handle, void *arg) {
    auto *self = static_cast<ServerWrap *>(arg);
    self->tearing_down_ = true;
    self->server_->close(kTeardownDeadlineMs); // closed() follows from a close callback once every handle is closed
    if (!self->server_->has_handles()) self->stop_watching_env_teardown();
  }

  // BatchStorage -----------------------------------------------------------------------------

  bool grow(size_t data_bytes, size_t meta_words, size_t used_bytes, size_t used_words) override {
    Napi::HandleScope scope(env_);
    return allocate(data_bytes, meta_words, used_bytes, used_words);
  }

  bool allocate(size_t data_bytes, size_t meta_words, size_t used_bytes, size_t used_words) {
    try {
      auto d = Napi::Buffer<uint8_t>::New(env_, data_bytes);
      auto m = Napi::ArrayBuffer::New(env_, meta_words * sizeof(uint32_t));
      if (used_bytes) std::memcpy(d.Data(), data, used_bytes);
      if (used_words) std::memcpy(m.Data(), meta, used_words * sizeof(uint32_t));
      batch_data_ = Napi::Persistent(d);
      batch_meta_ = Napi::Persistent(m);
      data = d.Data();
      meta = static_cast<uint32_t *>(m.Data());
      data_capacity = data_bytes;
      meta_capacity = meta_words;
      storage_replaced_ = true;
      return true;
    } catch (const Napi::Error &) {
      return false;
    }
  }

  Napi::Env env_;
  std::unique_ptr<Server> server_;
  Napi::FunctionReference dispatch_;
  Napi::FunctionReference on_closed_;
  Napi::FunctionReference on_client_error_;
  Napi::FunctionReference on_aborted_;
  Napi::FunctionReference on_drained_;
  Napi::FunctionReference on_body_ready_;
  Napi::Reference<Napi::Buffer<uint8_t>> batch_data_;
  Napi::Reference<Napi::ArrayBuffer> batch_meta_;
  bool storage_replaced_ = false;
  Napi::Reference<Napi::Buffer<uint8_t>> out_data_;
  Napi::Reference<Napi::Int32Array> out_records_;
  ResponseOutput output_;
  bool referenced_ = false;
  napi_async_cleanup_hook_handle cleanup_hook_ = nullptr;
  bool tearing_down_ = false;
};

} // namespace uvhttp

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeServer", uvhttp::ServerWrap::Define(env));
  return exports;
}

NODE_API_MODULE(uvhttp, InitAddon)
