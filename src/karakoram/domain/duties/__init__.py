"""Duties and taxes: what a declaration owes under the administration's tariff.

- `schedule`: a tariff schedule (components, tariff lines, rates, rounding)
- `exchange_rates`: a published exchange-rate table and the rate in force on a day
- `assessment`: the assessment of a declaration under a schedule, line by line
- `tariff_file`, `rates_file`: read the files an administration publishes (TOML, CSV);
  `file_problems` collects what those readers find wrong
- `sdmx_rates`: read exchange rates from an SDMX-CSV download (the ECB's EXR, for one);
  `rates_merge` adds imported rates to the table in force and writes the CSV back
- `coverage`: whether a rate table gives each currency a usable rate on the coming days

Error codes (`FieldError.code`); they are stable, clients may branch on them:

| code | pointer | meaning |
|---|---|---|
| `invalid_toml` | `""` (the file) | not TOML; the message gives line and column |
| `required` | `/name`, `/lines/3/rates`, `/header`, `/rows/4/rate` ... | missing or empty |
| `invalid_type` | any | wrong TOML type (a table where text is expected ...) |
| `unknown_field` | `/lines/3/colour`, `/header` | a key or CSV column the format does not have |
| `unknown_currency` | `/currency`, `/rows/4/currency` | not an ISO 4217 code the node knows |
| `invalid_choice` | `/applies_to/0`, `/components/1/kind` | not one of the allowed values |
| `invalid_format` | `/components/1/code`, `/lines/3/preferential/x` | badly formed code or name |
| `duplicate_component` | `/components/4/code` | two components with the same code |
| `unknown_component` | `/components/2/base/1`, `/lines/3/rates/XD` | names no component |
| `base_not_earlier` | `/components/2/base/1` | a base part that is listed at or after it |
| `duplicate_base` | `/components/2/base/2` | the same part twice in one base |
| `invalid_rounding` | `/rounding/places`, `/rounding/mode` | places not 0-8, or an unknown mode |
| `invalid_prefix` | `/lines/3/hs_prefix` | not "" nor 2 to 10 digits |
| `duplicate_line` | `/lines/7/hs_prefix` | the same prefix on two lines |
| `malformed_rate` | `/lines/3/rates/CD`, `/rows/4/rate` | not a rate ("5%", "12.50/kg", "3/NAR") |
| `unknown_unit` | `/lines/3/rates/CD` | a per-unit rate in a unit that is not Rec 20 |
| `invalid_date` | `/rows/4/date` | not an ISO date (YYYY-MM-DD) |
| `base_currency` | `/rows/4/currency` | a rate for the base currency (always 1) |
| `not_positive` | `/rows/4/rate` | an exchange rate of zero or less |
| `duplicate_rate` | `/rows/4/date` | two rates for one currency on one date |
| `unsupported_frequency` | `/rows/4/FREQ` | SDMX: a frequency other than daily (D) or monthly (M) |
| `unsupported_series` | `/rows/4/EXR_TYPE` | SDMX: not a spot rate (SP00) |
| `unsupported_action` | `/rows/4/ACTION` | SDMX-CSV 2.0: a row that deletes (D) |
| `same_currency` | `/rows/4/CURRENCY_DENOM` | SDMX: a currency quoted against itself |
| `no_cross_rate` | `/rows/4/CURRENCY_DENOM` | SDMX: no same-day quote to cross with |
| `missing_exchange_rate` | `/invoice/currency` | no rate on or before the date, or too old |
| `no_tariff_line` | `/items/2/hs_code` | no line matches and there is no default line |
| `unit_mismatch` | `/items/2/unit` | a per-unit rate in another unit than declared |
"""
