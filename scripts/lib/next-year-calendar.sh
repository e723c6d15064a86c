# Sourced by the scripts that start a demo server. From December an application's 20 working days
# end in the next year, and a deadline in a year whose calendar is not loaded is refused (domain
# rule); until the binary ships next year's State Council notice, the test site gets a calendar of
# next year holding 元旦 only.
#
# Usage: import_next_year_calendar BIN DATA_DIR
import_next_year_calendar() {
  local bin="$1" data="$2" next_year
  next_year=$(( $(TZ=Asia/Shanghai date +%Y) + 1 ))
  if ! env -u GONGKAI__DATABASE__URL "$bin" calendar years --data "$data" 2>/dev/null | grep -q "$next_year"; then
    printf '{"year":%s,"papers":[],"days":[{"name":"元旦","date":"%s-01-01","isOffDay":true}]}' \
      "$next_year" "$next_year" >"$data/next-year.json"
    env -u GONGKAI__DATABASE__URL "$bin" calendar import --data "$data" "$data/next-year.json" >/dev/null
  fi
}
