"""The Prometheus text of the gateway's counters."""

from __future__ import annotations

from sealtrail.gateway.metrics import Metrics, operation_of


def test_the_exposition_has_counters_and_a_cumulative_histogram() -> None:
    metrics = Metrics()
    metrics.observe("blob_get", 200, 0.004, 0, 1000)
    metrics.observe("blob_get", 200, 0.2, 0, 500)
    metrics.observe("upload_patch", 202, 0.02, 700, 0)
    lines = metrics.text().splitlines()
    assert 'sealtrail_gateway_requests_total{operation="blob_get",status="200"} 2' in lines
    assert 'sealtrail_gateway_response_bytes_total{operation="blob_get"} 1500' in lines
    assert 'sealtrail_gateway_request_bytes_total{operation="upload_patch"} 700' in lines
    bucket = 'sealtrail_gateway_request_duration_seconds_bucket{operation="blob_get",le="%s"} %d'
    assert bucket % ("0.005", 1) in lines
    assert bucket % ("0.25", 2) in lines
    assert bucket % ("+Inf", 2) in lines
    assert 'sealtrail_gateway_request_duration_seconds_count{operation="blob_get"} 2' in lines


def test_an_operation_is_the_endpoint_and_the_method() -> None:
    assert operation_of("GET", "/v2/team/app/manifests/v1") == "manifest_get"
    assert operation_of("PATCH", "/v2/team/app/blobs/uploads/abc") == "upload_patch"
    assert operation_of("GET", "/v2/") == "ping_get"
