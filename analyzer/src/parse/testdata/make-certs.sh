#!/bin/sh
# Regenerates the DER test certificates used by `parse::cert` tests (OpenSSL 3.0).
# Run from this folder. The private keys are throwaway and are not kept.
#
#   rdp-host.der     self-signed CN=HOST, RSA 2048, SHA-256, EKU serverAuth only, key usage
#                    keyEncipherment+dataEncipherment, 2024-01-15..2024-07-16 (the shape of the
#                    certificate Remote Desktop generates for itself)
#   expired.der      self-signed CN=OLDHOST, RSA 2048, EKU serverAuth+clientAuth, 2019-01-01..2019-07-01
#   no-eku.der       self-signed CN=legacy.example.test, EC P-256, no EKU extension, SAN with two
#                    DNS names, 2020-01-01..2040-01-01
#
# `openssl req -x509` cannot set explicit dates in OpenSSL 3.0, so each certificate is made as a
# request and then self-signed with `openssl ca -selfsign`, which can.
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/newcerts"
: > "$work/index.txt"
cat > "$work/ca.cnf" <<CNF
[ ca ]
default_ca = tc
[ tc ]
dir = $work
database = $work/index.txt
new_certs_dir = $work/newcerts
serial = $work/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[ any ]
commonName = supplied
[ rdp ]
basicConstraints = critical,CA:FALSE
keyUsage = keyEncipherment,dataEncipherment
extendedKeyUsage = serverAuth
[ old ]
keyUsage = digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
[ noeku ]
subjectAltName = DNS:legacy.example.test,DNS:legacy
CNF

make() { # name subject keyopt ext start end serial
  echo "$7" > "$work/serial"
  openssl req -new -newkey "$3" -nodes -keyout "$work/$1.key" -subj "$2" -out "$work/$1.csr" 2>/dev/null
  openssl ca -batch -config "$work/ca.cnf" -selfsign -keyfile "$work/$1.key" -in "$work/$1.csr" \
    -extensions "$4" -startdate "$5" -enddate "$6" -notext -out "$work/$1.pem" 2>/dev/null
  openssl x509 -in "$work/$1.pem" -outform DER -out "$1.der"
}
make rdp-host "/CN=HOST" rsa:2048 rdp 20240115093000Z 20240716093000Z 1F2E3D4C5B6A7988
make expired "/CN=OLDHOST" rsa:2048 old 20190101000000Z 20190701000000Z 0A0B0C0D
openssl ecparam -name prime256v1 -out "$work/p256.param"
make no-eku "/CN=legacy.example.test" ec:"$work/p256.param" noeku 20200101000000Z 20400101000000Z 77
