{
  "targets": [
    {
      "target_name": "uvhttp",
      "sources": [
        "native/binding.cc",
        "native/io/poller.cc",
        "native/io/poll_group.cc",
        "native/core/server.cc",
        "native/core/connection_table.cc",
        "native/core/access_log.cc",
        "native/core/connection.cc",
        "native/core/connection_cache.cc",
        "native/core/connection_route.cc",
        "native/core/connection_body.cc",
        "native/core/connection_preface.cc",
        "native/core/connection_log.cc",
        "native/http/session.cc",
        "native/http/parser.cc",
        "native/http/message.cc",
        "native/http/request_target.cc",
        "native/core/router.cc",
        "native/core/batch.cc",
        "native/http/response.cc",
        "native/core/output_queue.cc",
        "native/http/http_errors.cc",
        "native/http/date_cache.cc",
        "native/http/http_date.cc",
        "native/http/proxy_protocol.cc",
        "native/http/range.cc",
        "native/http/conditional.cc",
        "native/http/content_coding.cc",
        "native/handlers/file_path.cc",
        "native/io/file_io.cc",
        "native/handlers/mime_types.cc",
        "native/handlers/open_file_cache.cc",
        "native/handlers/static_files.cc",
        "native/handlers/response_cache.cc"
      ],
      "include_dirs": [
        "native",
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-fno-rtti"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-O3",
        "-fvisibility=hidden",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter"
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "10.15"
      },
      "msvs_settings": {
        "VCCLCompilerTool": {
          "ExceptionHandling": 1,
          "AdditionalOptions": [
            "/std:c++17"
          ]
        }
      }
    }
  ]
}
