#!/usr/bin/env bash
# SOAP 1.1 with curl: every operation is a POST of an XML envelope to one URL, /soap.
#
#   clients/curl/soap.sh get_book 9780132350884
#   clients/curl/soap.sh list_books design
#   clients/curl/soap.sh add_book 9798000000007 "A Title" "An Author" 2024-05-17 12.50 2
#   clients/curl/soap.sh update_book 9798000000007 "A New Title" 1    # 1: the expected version
#   clients/curl/soap.sh borrow_book 9798000000007 "Grace Hopper"
#   clients/curl/soap.sh return_book LOAN_ID
#   clients/curl/soap.sh list_loans "Grace Hopper" open
#   clients/curl/soap.sh remove_book 9798000000007
#
# The answer envelope goes to stdout and the HTTP status to stderr. A fault comes with HTTP 500
# (SOAP 1.1 says so): it is printed and the script exits with 22. The operation and element
# names are the WSDL's (GET /soap?wsdl). ROSETTA_URL picks the gateway (default
# http://127.0.0.1:8000); ROSETTA_API_TOKEN, when set, travels as a WS-Security UsernameToken.
set -eo pipefail

URL="${ROSETTA_URL:-http://127.0.0.1:8000}/soap"
TOKEN="${ROSETTA_API_TOKEN:-}"
WSSE=http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd
PLAIN=http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0

text() {  # XML text: &, < and > escaped (quoted replacements stay literal in every bash)
    local text=${1//&/"&amp;"}
    text=${text//</"&lt;"}
    printf '%s' "${text//>/"&gt;"}"
}

header() {  # the token goes in the message itself, not in an HTTP header
    [[ -n $TOKEN ]] || return 0
    printf '<soapenv:Header><wsse:Security xmlns:wsse="%s"><wsse:UsernameToken>' "$WSSE"
    printf '<wsse:Username>rosetta</wsse:Username><wsse:Password Type="%s#PasswordText">%s' \
        "$PLAIN" "$(text "$TOKEN")"
    printf '</wsse:Password></wsse:UsernameToken></wsse:Security></soapenv:Header>'
}

soap() {  # OPERATION PARAMETERS-XML: the operation names the Body's one element
    local status=0
    curl --silent --show-error --fail-with-body --write-out '%{stderr}HTTP %{http_code}\n' \
        "$URL" -H 'Content-Type: text/xml; charset=utf-8' -H "SOAPAction: \"$1\"" \
        --data-binary @- <<ENVELOPE || status=$?
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:lib="urn:rosetta:library">
  $(header)
  <soapenv:Body>
    <lib:$1>$2</lib:$1>
  </soapenv:Body>
</soapenv:Envelope>
ENVELOPE
    echo  # the answer ends without a newline
    return "$status"
}

element() {  # NAME VALUE: <lib:NAME>VALUE</lib:NAME>, nothing when VALUE is empty
    [[ -z $2 ]] || printf '<lib:%s>%s</lib:%s>' "$1" "$(text "$2")" "$1"
}

get_book() {
    soap GetBook "$(element isbn "${1:?usage: get_book ISBN}")"
}

list_books() {
    soap ListBooks "$(element q "$1")$(element limit "${2:-20}")"
}

add_book() {  # lists are wrapped: <lib:authors><lib:author>..</lib:author></lib:authors>
    local isbn=${1:?usage: add_book ISBN TITLE AUTHOR PUBLISHED PRICE COPIES} params
    params="$(element isbn "$isbn")$(element title "$2")"
    params+="<lib:authors>$(element author "$3")</lib:authors>"
    params+="$(element published "$4")$(element price "$5")$(element copies "${6:-1}")"
    soap AddBook "$params"
}

update_book() {  # with an expected version, the change is conditional, else Client.VersionMismatch
    local isbn=${1:?usage: update_book ISBN TITLE [EXPECTED_VERSION]}
    soap UpdateBook "$(element isbn "$isbn")$(element title "$2")$(element expected_version "$3")"
}

remove_book() {
    soap RemoveBook "$(element isbn "${1:?usage: remove_book ISBN}")"
}

borrow_book() {
    soap BorrowBook "$(element isbn "${1:?usage: borrow_book ISBN MEMBER}")$(element member "$2")"
}

return_book() {
    soap ReturnBook "$(element loan_id "${1:?usage: return_book LOAN_ID}")"
}

list_loans() {  # list_loans [MEMBER] [open]
    soap ListLoans "$(element member "$1")$(element open_only "${2:+true}")"
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
