#!/usr/bin/env bash
# REST with curl: each operation is one HTTP request on a resource, a method and a status.
#
#   clients/curl/rest.sh get_book 9780132350884
#   clients/curl/rest.sh list_books design
#   clients/curl/rest.sh add_book 9798000000007 "A Title" "An Author" 2024-05-17 12.50 2
#   clients/curl/rest.sh update_book 9798000000007 "A New Title" 1    # 1: the expected version
#   clients/curl/rest.sh borrow_book 9798000000007 "Grace Hopper"
#   clients/curl/rest.sh return_book LOAN_ID
#   clients/curl/rest.sh list_loans "Grace Hopper" open
#   clients/curl/rest.sh remove_book 9798000000007
#
# The JSON answer goes to stdout and the HTTP status to stderr. An error status prints its
# problem+json document and exits with 22. ROSETTA_URL picks the gateway (default
# http://127.0.0.1:8000); ROSETTA_API_TOKEN, when set, is sent as a bearer token.
set -eo pipefail

URL="${ROSETTA_URL:-http://127.0.0.1:8000}/rest"
TOKEN="${ROSETTA_API_TOKEN:-}"

rest() {
    # --fail-with-body: exit 22 on an error status, but still print what the server said.
    local status=0
    curl --silent --show-error --fail-with-body --write-out '%{stderr}HTTP %{http_code}\n' \
        -H 'Accept: application/json' ${TOKEN:+-H "Authorization: Bearer $TOKEN"} "$@" ||
        status=$?
    echo  # the answer ends without a newline
    return "$status"
}

send_json() {  # METHOD URL JSON [more curl options]
    rest --request "$1" "$2" -H 'Content-Type: application/json' --data-binary "$3" "${@:4}"
}

quote() {  # a JSON string: backslashes and double quotes escaped
    local text=${1//\\/\\\\}
    printf '"%s"' "${text//\"/\\\"}"
}

get_book() {
    rest "$URL/books/${1:?usage: get_book ISBN}"
}

list_books() {  # the query is URL-encoded by curl; --get puts it in the query string
    rest --get "$URL/books" ${1:+--data-urlencode "q=$1"} --data "limit=${2:-20}"
}

add_book() {
    local isbn=${1:?usage: add_book ISBN TITLE AUTHOR PUBLISHED PRICE COPIES} body
    body="{\"isbn\": $(quote "$isbn"), \"title\": $(quote "$2"),"
    body+=" \"authors\": [$(quote "$3")], \"published\": $(quote "$4"),"
    body+=" \"price\": $(quote "$5"), \"copies\": ${6:-1}}"
    send_json POST "$URL/books" "$body"
}

update_book() {  # with an expected version, the change is conditional: If-Match, else 412
    local isbn=${1:?usage: update_book ISBN TITLE [EXPECTED_VERSION]}
    send_json PATCH "$URL/books/$isbn" "{\"title\": $(quote "$2")}" \
        ${3:+-H "If-Match: \"$3\""}
}

remove_book() {
    rest --request DELETE "$URL/books/${1:?usage: remove_book ISBN}"
}

borrow_book() {
    local isbn=${1:?usage: borrow_book ISBN MEMBER}
    send_json POST "$URL/loans" "{\"isbn\": $(quote "$isbn"), \"member\": $(quote "$2")}"
}

return_book() {  # returning is a change of the loan's state, not a verb in the URL
    send_json PATCH "$URL/loans/${1:?usage: return_book LOAN_ID}" '{"returned": true}'
}

list_loans() {  # list_loans [MEMBER] [open]
    rest --get "$URL/loans" ${1:+--data-urlencode "member=$1"} \
        ${2:+--data "open_only=true"}
}

case "${1:-}" in
    get_book | list_books | add_book | update_book | remove_book | borrow_book | \
        return_book | list_loans)
        "$@"
        ;;
    *)
        sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
        exit 2
        ;;
esac
