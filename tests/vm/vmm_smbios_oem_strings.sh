#!/usr/bin/env bash
# krun_set_smbios_oem_strings: the guest kernel, booted without EFI, finds our
# SMBIOS tables at 0xF0000 and shows them under /sys/firmware/dmi: with OEM
# strings, entry 11-0 holds them in order (its raw bytes: the 5-byte header,
# then the strings) and Debian's dmidecode (copied into the root with its
# libraries) prints them from /sys/firmware/dmi/tables; without strings there
# is no type 11 entry, the other tables (0, 1, 127) are still there, and the
# guest runs its workload as always.
# timeout: 240
. "$SRC/tests/vm/lib.bash"

root=$TEST_TMP/root
make_root "$root"
# sbin is not on the emulated machine's PATH
dmi=$(PATH=$PATH:/usr/sbin:/sbin command -v dmidecode) ||
	fail "dmidecode is missing (scripts/deps.sh check installs it)"
mkdir -p "$root/usr/sbin"
cp "$dmi" "$root/usr/sbin/dmidecode" || fail "copy dmidecode"
for lib in $(ldd "$dmi" | grep -o '/[^ ]*'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib" || fail "copy $lib"
done

probe='
	d=/sys/firmware/dmi
	echo "tables: $(ls $d/tables | tr "\n" " ")"
	echo "entries: $(ls $d/entries | tr "\n" " ")"
	if [ -e $d/entries/11-0/raw ]; then
		echo "entry 11-0: type $(cat $d/entries/11-0/type) length $(cat $d/entries/11-0/length)"
		tail -c +6 $d/entries/11-0/raw | tr "\0" "\n" | sed "s/^/raw11: /"
	fi
	/usr/sbin/dmidecode -t 1 -t 11 2>&1 | sed "s/^/dmidecode: /"
	echo workload-ran'

long=$(printf 'L%.0s' $(seq 300))
out=$(root_run "$root" --oem-string "io.systemd.credential:greeting=hello world" \
	--oem-string second --oem-string "$long" -- /bin/sh -c "$probe" 2>&1) ||
	fail "guest with OEM strings: $out"
echo "$out"
grep -q "^tables: .*DMI .*smbios_entry_point" <<<"$out" || fail "no /sys/firmware/dmi/tables"
grep -q "^entries: .*0-0 .*1-0 .*11-0 .*127-0" <<<"$out" ||
	fail "the entries are not types 0, 1, 11 and 127"
grep -q "^entry 11-0: type 11 length 5$" <<<"$out" || fail "entry 11-0 is not a type 11 of 5 bytes"
raw=$(sed -n 's/^raw11: //p' <<<"$out")
want=$(printf '%s\n' "io.systemd.credential:greeting=hello world" second "$long" "")
[ "$raw" = "$want" ] || fail "entry 11-0 holds [$raw], expected [$want]"
grep -q "^dmidecode: SMBIOS 3.0.0 present" <<<"$out" || fail "dmidecode found no SMBIOS 3.0"
grep -q "^dmidecode: 	Manufacturer: Libkrun$" <<<"$out" || fail "dmidecode: no system manufacturer"
grep -q "^dmidecode: 	String 1: io.systemd.credential:greeting=hello world$" <<<"$out" &&
	grep -q "^dmidecode: 	String 2: second$" <<<"$out" &&
	grep -q "^dmidecode: 	String 3: $long$" <<<"$out" || fail "dmidecode -t 11 lacks a string"

out=$(root_run "$root" -- /bin/sh -c "$probe" 2>&1) || fail "guest without OEM strings: $out"
echo "$out"
grep -q "^entries: .*0-0 .*1-0 .*127-0" <<<"$out" || fail "no SMBIOS tables without OEM strings"
grep -q "11-0" <<<"$out" && fail "a type 11 entry without OEM strings"
grep -q "OEM Strings" <<<"$out" && fail "dmidecode shows OEM strings that were not set"
grep -q "^dmidecode: 	Product Name: libkrun Virtual Machine$" <<<"$out" ||
	fail "dmidecode: no product name"
grep -q "^workload-ran$" <<<"$out" || fail "the workload did not run"
echo "ok: the guest reads its OEM strings from SMBIOS type 11, and has no type 11 without them"
