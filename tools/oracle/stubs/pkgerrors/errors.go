// Package errors stands in for github.com/pkg/errors, which older K3s eras import: the same
// messages ("msg: cause"), without stack traces.
package errors

import (
	"errors"
	"fmt"
)

func New(msg string) error            { return errors.New(msg) }
func Errorf(f string, a ...any) error { return fmt.Errorf(f, a...) }
func Is(err, target error) bool       { return errors.Is(err, target) }
func As(err error, target any) bool   { return errors.As(err, target) }
func WithStack(err error) error       { return err }
func WithMessage(err error, msg string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", msg, err)
}
func WithMessagef(err error, f string, a ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(f, a...), err)
}
func Wrap(err error, msg string) error { return WithMessage(err, msg) }
func Wrapf(err error, f string, a ...any) error {
	return WithMessagef(err, f, a...)
}
