{
  # The fast inflate addon (native/inflate.cc), built by `npm ci` (scripts/build-native.mjs). libdeflate comes from
  # Debian's libdeflate-dev and is linked statically: the .node file needs nothing at run time but libc.
  # LIBDEFLATE_A overrides the archive (cross builds: the target's, e.g. /usr/lib/aarch64-linux-gnu/libdeflate.a).
  "variables": {
    "libdeflate_a%": "<!(node -p \"process.env.LIBDEFLATE_A || require('node:fs').readdirSync('/usr/lib').map(d => '/usr/lib/' + d + '/libdeflate.a').concat('/usr/lib/libdeflate.a', '/usr/local/lib/libdeflate.a').find(f => require('node:fs').existsSync(f)) || 'libdeflate.a'\")"
  },
  "targets": [
    {
      "target_name": "wikireverse_inflate",
      "sources": ["inflate.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-O2", "-fvisibility=hidden"],
      "libraries": ["<(libdeflate_a)"]
    }
  ]
}
