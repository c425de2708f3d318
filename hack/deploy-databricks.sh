#!/usr/bin/env bash
# Build gatewayd and deploy it as a Databricks App.
#
#   hack/deploy-databricks.sh                  build, upload, grant, deploy
#   hack/deploy-databricks.sh --build-only DIR build and stage the app folder in DIR only
#
# The app folder holds app.yaml and gatewayd.xz: the linux/amd64 binary,
# stripped and xz-compressed, because a Databricks App rejects any file over
# 10 MB (10,485,760 bytes) and the binary is about 16 MB (5 MB compressed).
# app.yaml's command unpacks it with Python's lzma at start.
#
# Settings (environment):
#   APP_NAME               app name (default ai-gateway; lowercase letters, digits, -)
#   GATEWAY_WORKSPACE_DIR  workspace folder for the manifests
#                          (default /Workspace/Users/<you>/ai-gateway/manifests)
#   GATEWAY_SECRET_SCOPE   secret scope for credentials (default ai-gateway; created if missing)
#   APP_SOURCE_DIR         workspace folder the app's files are uploaded to
#                          (default /Workspace/Users/<you>/apps/<APP_NAME>)
#   STAGE_DIR              local staging folder (default bin/databricks-app)
#   SKIP_GRANTS=1          do not create the scope or grant the app's service principal
#                          CAN_MANAGE on the folder and WRITE on the scope
# The databricks CLI (>= 0.229) authenticates as usual: DATABRICKS_HOST and a
# token, or DATABRICKS_CONFIG_PROFILE.
set -euo pipefail

readonly MAX_FILE_BYTES=10485760
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() { echo "deploy-databricks: $*" >&2; exit 1; }

tmpbin=""
trap 'rm -f "$tmpbin"' EXIT

# build_stage DIR WORKSPACE_DIR SCOPE: the app folder, ready to upload.
build_stage() {
	local stage=$1 ws_dir=$2 scope=$3
	case $ws_dir in
	/*) ;;
	*) die "GATEWAY_WORKSPACE_DIR must be an absolute workspace path, got '$ws_dir'" ;;
	esac
	[[ $ws_dir =~ ^[A-Za-z0-9@._/\ -]+$ ]] || die "GATEWAY_WORKSPACE_DIR '$ws_dir' has characters this script does not quote"
	[[ $scope =~ ^[A-Za-z0-9@._-]{1,128}$ ]] || die "GATEWAY_SECRET_SCOPE '$scope' is not a valid scope name"
	command -v xz >/dev/null || die "xz is needed to compress the binary"

	rm -rf "$stage"
	mkdir -p "$stage"
	tmpbin=$(mktemp "${TMPDIR:-/tmp}/gatewayd.XXXXXX")
	echo "building gatewayd for linux/amd64"
	(cd "$root" && GOOS=linux GOARCH=amd64 CGO_ENABLED=0 "${GO:-go}" build -trimpath -ldflags '-s -w' -o "$tmpbin" ./cmd/gatewayd)
	echo "compressing ($(wc -c <"$tmpbin") bytes)"
	# -T1: one block, the smallest output, and byte-for-byte reproducible.
	xz -9e -T1 -c "$tmpbin" >"$stage/gatewayd.xz"
	rm -f "$tmpbin"

	# app.yaml with this deployment's folder and scope filled in.
	awk -v ws="$ws_dir" -v scope="$scope" '
		prev ~ /- name: GATEWAY_WORKSPACE_DIR$/ { sub(/value: .*/, "value: \"" ws "\"") }
		prev ~ /- name: GATEWAY_SECRET_SCOPE$/  { sub(/value: .*/, "value: \"" scope "\"") }
		{ print; prev = $0 }' "$root/app.yaml" >"$stage/app.yaml"
	grep -q "value: \"$ws_dir\"" "$stage/app.yaml" || die "could not set GATEWAY_WORKSPACE_DIR in app.yaml"

	check_sizes "$stage"
	echo "staged $stage:"
	ls -l "$stage"
}

# check_sizes DIR: fail, naming them, if any file is over the Apps limit.
check_sizes() {
	local big
	big=$(find "$1" -type f -size +"${MAX_FILE_BYTES}"c)
	if [[ -n $big ]]; then
		echo "deploy-databricks: these files are over the $MAX_FILE_BYTES-byte limit of a Databricks App:" >&2
		for f in $big; do echo "  $f ($(wc -c <"$f") bytes)" >&2; done
		exit 1
	fi
}

# api_path PATH: the workspace API's form of a path (without the /Workspace
# prefix the UI and an App's disk show), which every API accepts.
api_path() {
	case $1 in
	/Workspace/*) echo "${1#/Workspace}" ;;
	*) echo "$1" ;;
	esac
}

# json_field FIELD: read one top-level field of a JSON object on stdin.
json_field() {
	python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

deploy() {
	command -v databricks >/dev/null || die "the databricks CLI is needed (https://docs.databricks.com/dev-tools/cli/install.html)"
	command -v python3 >/dev/null || die "python3 is needed to read the CLI's JSON output"
	local app=${APP_NAME:-ai-gateway} me
	[[ $app =~ ^[a-z0-9-]+$ ]] || die "APP_NAME '$app' must be lowercase letters, digits and -"
	me=$(databricks current-user me --output json | json_field userName)
	local ws_dir=${GATEWAY_WORKSPACE_DIR:-/Workspace/Users/$me/ai-gateway/manifests}
	local scope=${GATEWAY_SECRET_SCOPE:-ai-gateway}
	local src=${APP_SOURCE_DIR:-/Workspace/Users/$me/apps/$app}
	local stage=${STAGE_DIR:-$root/bin/databricks-app}

	build_stage "$stage" "$ws_dir" "$scope"

	echo "uploading to $src"
	databricks workspace mkdirs "$(api_path "$src")"
	databricks workspace import-dir "$stage" "$(api_path "$src")" --overwrite

	if ! databricks apps get "$app" >/dev/null 2>&1; then
		echo "creating app $app (this waits for its compute)"
		databricks apps create "$app" --description "AI gateway (gatewayd)"
	fi

	if [[ ${SKIP_GRANTS:-} != 1 ]]; then
		local sp obj
		sp=$(databricks apps get "$app" --output json | json_field service_principal_client_id)
		echo "granting the app's service principal $sp access to $ws_dir and secret scope $scope"
		if ! databricks secrets list-scopes --output json | python3 -c '
import json, sys
scopes = json.load(sys.stdin)
scopes = scopes.get("scopes", []) if isinstance(scopes, dict) else scopes
sys.exit(0 if any(s.get("name") == sys.argv[1] for s in scopes) else 1)' "$scope"; then
			databricks secrets create-scope "$scope"
		fi
		databricks secrets put-acl "$scope" "$sp" WRITE
		databricks workspace mkdirs "$(api_path "$ws_dir")"
		obj=$(databricks workspace get-status "$(api_path "$ws_dir")" --output json | json_field object_id)
		databricks workspace update-permissions directories "$obj" --json \
			"{\"access_control_list\":[{\"service_principal_name\":\"$sp\",\"permission_level\":\"CAN_MANAGE\"}]}" >/dev/null
	fi

	echo "deploying $app from $src"
	databricks apps deploy "$app" --source-code-path "$src"
	databricks apps get "$app" --output json | json_field url
}

main() {
	case ${1:-} in
	--build-only)
		[[ $# -eq 2 ]] || die "usage: $0 --build-only DIR"
		build_stage "$2" "${GATEWAY_WORKSPACE_DIR:-/Workspace/Users/CHANGE-ME/ai-gateway/manifests}" "${GATEWAY_SECRET_SCOPE:-ai-gateway}"
		;;
	"")
		deploy
		;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		;;
	*)
		die "unknown argument '$1' (try --help)"
		;;
	esac
}

# Sourcing the script (tests do) defines the functions without running anything.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
