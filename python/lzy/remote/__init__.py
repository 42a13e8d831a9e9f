"""gRPC clients of lzy-service and the whiteboard service (imports grpc; client side only)."""
