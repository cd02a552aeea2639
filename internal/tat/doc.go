// Package tat calls TencentCloud Automation Tools (TAT), a service of its
// own beside CVM: service "tat", version 2020-10-28, endpoint
// tat.tencentcloudapi.com. It reads the TAT agents of instances
// (DescribeAutomationAgentStatus), which say whether an instance can be
// deployed to through its in-guest agent.
//
// Like internal/cvm it is a room over internal/tcapi, which signs, sends,
// classifies failures, retries and paces; it knows no Terraform, no
// credential source and nothing of cvm. The provider hands its reads to the
// cvm client through cvm.AgentSource.
package tat
