package models

import (
	"database/sql/driver"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Date is a calendar date with no time of day or time zone. It is stored as a
// DATE column and exchanged as "YYYY-MM-DD".
type Date struct {
	t time.Time // always midnight UTC
}

const dateLayout = "2006-01-02"

// NewDate returns the date year-month-day.
func NewDate(year int, month time.Month, day int) Date {
	return Date{time.Date(year, month, day, 0, 0, 0, 0, time.UTC)}
}

// ParseDate parses s as "YYYY-MM-DD", saying what is wrong with a date
// that has that form but does not exist.
func ParseDate(s string) (Date, error) {
	if !isDateForm(s) {
		return Date{}, Errorf(CodeInvalid, "invalid Date %q: want YYYY-MM-DD", truncate(s, 32))
	}
	year, _ := strconv.Atoi(s[0:4])
	month, _ := strconv.Atoi(s[5:7])
	day, _ := strconv.Atoi(s[8:10])
	switch {
	case year < 1:
		return Date{}, Errorf(CodeInvalid, "invalid Date %q: years start at 0001", s)
	case month < 1 || month > 12:
		return Date{}, Errorf(CodeInvalid, "invalid Date %q: month %s is out of range 01 to 12", s, s[5:7])
	}
	last := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if day < 1 || day > last {
		return Date{}, Errorf(CodeInvalid, "invalid Date %q: day %s is out of range: %s %d has days 01 to %d",
			s, s[8:10], time.Month(month), year, last)
	}
	return NewDate(year, time.Month(month), day), nil
}

// isDateForm reports whether s is four digits, a hyphen, two digits, a
// hyphen and two digits.
func isDateForm(s string) bool {
	if len(s) != len(dateLayout) {
		return false
	}
	for i := range len(s) {
		switch i {
		case 4, 7:
			if s[i] != '-' {
				return false
			}
		default:
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
	}
	return true
}

// Time returns midnight UTC of d.
func (d Date) Time() time.Time { return d.t }

// String returns d as "YYYY-MM-DD".
func (d Date) String() string { return d.t.Format(dateLayout) }

// Value implements driver.Valuer; both databases compare the ISO form.
func (d Date) Value() (driver.Value, error) { return d.String(), nil }

// Scan implements sql.Scanner for DATE columns, which drivers return either
// as time.Time or as text.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil: // a LEFT JOIN that found no row
		*d = Date{}
		return nil
	case time.Time:
		*d = NewDate(v.Date())
		return nil
	case string:
		return d.scanText(v)
	case []byte:
		return d.scanText(string(v))
	}
	return fmt.Errorf("scan date: unsupported type %T", src)
}

func (d *Date) scanText(s string) error {
	if len(s) < len(dateLayout) {
		return fmt.Errorf("scan date: %q", s)
	}
	t, err := time.Parse(dateLayout, s[:len(dateLayout)])
	if err != nil {
		return fmt.Errorf("scan date: %w", err)
	}
	d.t = t
	return nil
}

// MarshalGQL writes d as a GraphQL Date.
func (d Date) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(d.String()))
}

// UnmarshalGQL reads a GraphQL Date.
func (d *Date) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return Errorf(CodeInvalid, "Date must be a string YYYY-MM-DD, got %T", v)
	}
	parsed, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// PartialDate is a date known only to a given precision: "October 2008" is
// 2008-10-01 with precision MONTH.
type PartialDate struct {
	Date      Date
	Precision DatePrecision
}

// newPartialDate returns the PartialDate of a nullable date column and its
// precision column, or nil when the date is unknown.
func newPartialDate(d *Date, p *DatePrecision) *PartialDate {
	if d == nil {
		return nil
	}
	pd := &PartialDate{Date: *d, Precision: DatePrecisionDay}
	if p != nil {
		pd.Precision = *p
	}
	return pd
}

// Start returns the first day of the period the date stands for.
func (p PartialDate) Start() Date {
	y, m, d := p.Date.t.Date()
	switch p.Precision {
	case DatePrecisionYear:
		return NewDate(y, time.January, 1)
	case DatePrecisionMonth:
		return NewDate(y, m, 1)
	}
	return NewDate(y, m, d)
}

// End returns the last day of the period the date stands for.
func (p PartialDate) End() Date {
	start := p.Start().t
	switch p.Precision {
	case DatePrecisionYear:
		return Date{start.AddDate(1, 0, -1)}
	case DatePrecisionMonth:
		return Date{start.AddDate(0, 1, -1)}
	}
	return Date{start}
}

// Label returns the date as people write it at its precision: "2009",
// "March 2009" or "23 March 2009".
func (p PartialDate) Label() string {
	switch p.Precision {
	case DatePrecisionYear:
		return p.Date.t.Format("2006")
	case DatePrecisionMonth:
		return p.Date.t.Format("January 2006")
	}
	return p.Date.t.Format("2 January 2006")
}
