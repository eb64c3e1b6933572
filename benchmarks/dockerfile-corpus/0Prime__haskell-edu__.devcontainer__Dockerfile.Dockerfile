FROM haskell:8.8.4

RUN stack install hlint

# RUN apt-get update \
#     && apt-get upgrade \
#     && apt-get install -y \
#     cabal-install \
#     && apt-get autoremove