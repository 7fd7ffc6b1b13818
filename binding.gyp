{
  "targets": [
    {
      "target_name": "uvhttp",
      "sources": [
        "native/batch.cc",
        "native/binding.cc",
        "native/connection.cc",
        "native/connection_table.cc",
        "native/date_cache.cc",
        "native/http_errors.cc",
        "native/message.cc",
        "native/output_queue.cc",
        "native/parser.cc",
        "native/poller.cc",
        "native/request_target.cc",
        "native/response.cc",
        "native/router.cc",
        "native/server.cc",
        "native/session.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "10.15"
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] }
      }
    }
  ]
}
