# Sourced by the image benchmarks: `write_oci_layout LAYOUT [TAG]` writes the config, the
# manifest, `oci-layout` and `index.json` of an OCI layout whose layer blobs are already in
# LAYOUT/blobs/sha256, from the arrays `diff_ids` ("\"sha256:…\"" each) and `layers` (one
# descriptor JSON each), bottom first. The index entry is named TAG when one is given.
join() { local IFS=,; echo "$*"; }
layout_blob() {  # stores stdin as a blob of $1, prints "digest size"
  local tmp=$1/blob.tmp hex
  cat > "$tmp"; hex=$(sha256sum "$tmp" | cut -d' ' -f1)
  mv "$tmp" "$1/blobs/sha256/$hex"; echo "sha256:$hex $(stat -c %s "$1/blobs/sha256/$hex")"
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
