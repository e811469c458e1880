# Sourced by the image benchmarks: `add_layer LAYOUT DIR TAR [gzip]` packs DIR into TAR (which
# stays) and stores it, gzip-compressed when asked, as a layer blob of LAYOUT, appending its
# diff_id and descriptor to the arrays `diff_ids` ("\"sha256:…\"" each) and `layers` (one
# descriptor JSON each); then `write_oci_layout LAYOUT [TAG]` writes the config, the manifest,
# `oci-layout` and `index.json` from those arrays, bottom first. The index entry is named TAG
# when one is given.
join() { local IFS=,; echo "$*"; }
layout_blob() {  # stores stdin as a blob of $1, prints "digest size"
  local tmp=$1/blob.tmp hex
  mkdir -p "$1/blobs/sha256"
  cat > "$tmp"; hex=$(sha256sum "$tmp" | cut -d' ' -f1)
  mv "$tmp" "$1/blobs/sha256/$hex"; echo "sha256:$hex $(stat -c %s "$1/blobs/sha256/$hex")"
}
add_layer() {
  local layout=$1 media=application/vnd.oci.image.layer.v1.tar digest size
  tar --sort=name --format=posix --numeric-owner -cf "$3" -C "$2" .
  diff_ids+=("\"sha256:$(sha256sum "$3" | cut -d' ' -f1)\"")
  if [ "${4:-}" = gzip ]; then
    read -r digest size < <(gzip -1 -n -c "$3" | layout_blob "$layout")
    media+=+gzip
  else
    read -r digest size < <(layout_blob "$layout" < "$3")
  fi
  layers+=("{\"mediaType\":\"$media\",\"digest\":\"$digest\",\"size\":$size}")
}
write_oci_layout() {
  local layout=$1 tag=${2:-} config_digest config_size manifest_digest manifest_size annotations=""
  read -r config_digest config_size < <(printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%s]}}' "$(join "${diff_ids[@]}")" | layout_blob "$layout")
  read -r manifest_digest manifest_size < <(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[%s]}' \
    "$config_digest" "$config_size" "$(join "${layers[@]}")" | layout_blob "$layout")
  printf '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
  [ -z "$tag" ] || annotations=",\"annotations\":{\"org.opencontainers.image.ref.name\":\"$tag\"}"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s%s}]}' \
    "$manifest_digest" "$manifest_size" "$annotations" > "$layout/index.json"
}
