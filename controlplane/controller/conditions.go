package controller

import (
	"time"

	"github.com/ai-gateway/gateway/api/v1alpha1"
)

// Condition types and reasons the controller reports.
const (
	ConditionReady = "Ready"

	ReasonReconciled       = "Reconciled"
	ReasonInvalid          = "Invalid"
	ReasonDuplicate        = "DuplicateName"
	ReasonAPIKeyNotFound   = "APIKeyNotFound"
	ReasonAPIKeyNotReady   = "APIKeyNotReady"
	ReasonProviderNotFound = "ProviderNotFound"
	ReasonTaskNotSupported = "TaskNotSupported"
	ReasonSecretNotFound   = "SecretNotFound"
	ReasonSecretError      = "SecretStoreError"
	ReasonEnvNotSet        = "EnvNotSet"
	ReasonCredentialNeeded = "CredentialMissing"
	ReasonInvalidConfig    = "InvalidConfig"
)

// setCondition sets a condition in place, keeping LastTransitionTime unless the
// status value changes, so that a resync does not look like a transition.
func setCondition(conds []v1alpha1.Condition, c v1alpha1.Condition, now time.Time) []v1alpha1.Condition {
	for i := range conds {
		if conds[i].Type != c.Type {
			continue
		}
		if conds[i].Status == c.Status {
			c.LastTransitionTime = conds[i].LastTransitionTime
		} else {
			c.LastTransitionTime = now
		}
		conds[i] = c
		return conds
	}
	c.LastTransitionTime = now
	return append(conds, c)
}

// readyCondition returns the Ready condition, or nil.
func readyCondition(s *v1alpha1.Status) *v1alpha1.Condition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == ConditionReady {
			return &s.Conditions[i]
		}
	}
	return nil
}
